import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RULE_SETTINGS,
  parseMonitorConfig,
  resolveMonitorConfig,
  settingsFor,
} from '../../../../lambdas/domain/rules/config';
import { ConfigError } from '../../../../lambdas/shared/names/env';

describe('monitor configuration', () => {
  it('starts from the documented defaults', () => {
    const config = parseMonitorConfig('{}');
    expect(config.defaults).toEqual(DEFAULT_RULE_SETTINGS);
    expect(config.defaults.failureRate).toMatchObject({
      windowMs: 3_600_000,
      threshold: 0.2,
      minFinished: 10,
    });
    expect(config.defaults.consecutiveFailures.enabled).toBe(false);
    expect(config.defaults.stuck.timeoutMs).toBe(3_600_000);
    expect(config.defaults.slow).toMatchObject({ thresholdMs: 5_000, alertShare: 0.1 });
  });

  it('merges defaults and per-task-type overrides field by field', () => {
    const config = resolveMonitorConfig({
      defaults: { failureRate: { threshold: 0.1 }, runbook: 'https://wiki/taskpulse' },
      overrides: {
        send_invoice: { failureRate: { minFinished: 50 }, consecutiveFailures: { enabled: true } },
        nightly_report: { runbook: null },
      },
      cadences: { nightly_report: { everyMs: 86_400_000 } },
    });
    expect(settingsFor(config, 'send_invoice').failureRate).toMatchObject({
      threshold: 0.1,
      minFinished: 50,
    });
    expect(settingsFor(config, 'send_invoice').consecutiveFailures).toMatchObject({
      enabled: true,
      count: 3,
    });
    expect(settingsFor(config, 'other').failureRate.minFinished).toBe(10);
    expect(settingsFor(config, 'other').runbook).toBe('https://wiki/taskpulse');
    expect(settingsFor(config, 'nightly_report').runbook).toBeNull();
    expect(config.cadences.nightly_report).toEqual({ everyMs: 86_400_000 });
  });

  it('fails fast with every bad path named', () => {
    const attempt = () =>
      parseMonitorConfig(
        JSON.stringify({
          defaults: { failureRate: { threshold: 2 }, slow: { tresholdMs: 1 } },
          overrides: { '9bad': {} },
        }),
        'TASKPULSE_MONITOR_CONFIG',
      );
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/TASKPULSE_MONITOR_CONFIG is invalid/);
    expect(attempt).toThrow(/defaults\.failureRate\.threshold: must be between 0 and 1/);
    expect(attempt).toThrow(/defaults\.slow: Unrecognized key: "tresholdMs"/);
    expect(attempt).toThrow(/overrides\.9bad/);
  });

  it('rejects text that is not JSON and inconsistent settings', () => {
    expect(() => parseMonitorConfig('{thresholds')).toThrow(/not valid JSON/);
    expect(() => resolveMonitorConfig({ overrides: { x: { stuck: { timeoutMs: 90_000_000 } } } })).toThrow(
      /overrides\.x\.stuck\.lookbackMs must be greater than stuck\.timeoutMs/,
    );
  });
});
