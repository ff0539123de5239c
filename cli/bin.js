#!/usr/bin/env node
// `taskpulse` launcher: runs the TypeScript entry with tsx's loader (a dependency of this repository,
// installed by `npm ci`), so the CLI needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
