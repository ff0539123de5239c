import { describe, expect, it } from 'vitest';
import { constructIdOf } from '../../local/functions';
import { physicalName } from '../../local/physical-names';

describe('physicalName', () => {
  it('is <stackName>-<LogicalId> with characters the service rejects replaced', () => {
    expect(physicalName('Taskpulse-dev', 'EventsQueue8B83AC58', 'AWS::SQS::Queue')).toBe(
      'Taskpulse-dev-EventsQueue8B83AC58',
    );
    expect(physicalName('my.stack', 'Q', 'AWS::SQS::Queue')).toBe('my-stack-Q');
    expect(physicalName('my.stack', 'T', 'AWS::DynamoDB::Table')).toBe('my.stack-T');
  });

  it('shortens long names with a stable hash, keeping a suffix', () => {
    const long = 'x'.repeat(100);
    const a = physicalName('Stack', long, 'AWS::SQS::Queue', '.fifo');
    expect(a).toHaveLength(80);
    expect(a.endsWith('.fifo')).toBe(true);
    expect(physicalName('Stack', long, 'AWS::SQS::Queue', '.fifo')).toBe(a);
    expect(physicalName('Stack', `${long}y`, 'AWS::SQS::Queue', '.fifo')).not.toBe(a);
  });
});

describe('constructIdOf', () => {
  it('takes the last meaningful segment of the construct path', () => {
    expect(constructIdOf('Taskpulse-dev/Taskpulse/IngestFunction/Resource', 'L1')).toBe('IngestFunction');
    expect(constructIdOf('S/Taskpulse/Alerting/MonitorFunction/Resource', 'L1')).toBe('MonitorFunction');
    expect(constructIdOf(undefined, 'Logical1')).toBe('Logical1');
  });
});
