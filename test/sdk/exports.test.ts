import { expect, it } from 'vitest';
import * as sdk from '../../sdk/src/index';

it('the package entry exports the client and its errors, no internals', () => {
  expect(Object.keys(sdk).sort()).toEqual([
    'SqsEntryError',
    'TaskpulseConfigError',
    'TaskpulseError',
    'TaskpulseValidationError',
    'createTaskpulse',
  ]);
});
