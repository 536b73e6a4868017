/**
 * `Config` is derived from SETTINGS: one field per setting, its type given by the kind.
 * The type assertions hold at compile time (the tests are type-checked); the runtime ones
 * check that each compiled value really has its kind's shape.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  SETTINGS,
  configField,
  loadConfig,
  type Config,
  type ConfigField,
  type SchedulePolicy,
  type SettingKind,
  type SettingName,
} from '@tdm/core';

const SHAPES: Record<SettingKind, (value: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  duration: (v) => Number.isFinite(v),
  bytes: (v) => Number.isSafeInteger(v),
  int: (v) => Number.isSafeInteger(v),
  number: (v) => Number.isFinite(v),
  bool: (v) => typeof v === 'boolean',
  list: (v) => Array.isArray(v) && v.every((part) => typeof part === 'string'),
  map: (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
  policy: (v) => v === null || (typeof v === 'object' && v !== null),
};

describe('Config derived from SETTINGS', () => {
  it('types each field by its kind, durations as …Ms numbers', () => {
    expectTypeOf<Config['checkIntervalMs']>().toEqualTypeOf<number>();
    expectTypeOf<Config['natsUrl']>().toEqualTypeOf<string[]>();
    expectTypeOf<Config['hostMap']>().toEqualTypeOf<Record<string, string>>();
    expectTypeOf<Config['keepAlive']>().toEqualTypeOf<boolean>();
    expectTypeOf<Config['schedulePolicy']>().toEqualTypeOf<SchedulePolicy | null>();
    expectTypeOf<Config['databaseUrl']>().toEqualTypeOf<string>();
    expectTypeOf<keyof Config>().toEqualTypeOf<ConfigField<SettingName>>();
    expectTypeOf<ConfigField<'checkInterval'>>().toEqualTypeOf<'checkIntervalMs'>();
    expectTypeOf<ConfigField<'maxBodyBytes'>>().toEqualTypeOf<'maxBodyBytes'>();
  });

  it('compiles each setting to a value of its kind, under the field name configField gives', () => {
    const config: Record<string, unknown> = loadConfig({
      env: {},
      overrides: {
        schedulePolicy: '5m for 24h, then 1h',
        hostMap: 'a.test=127.0.0.1',
        natsUrl: 'nats://x:1',
      },
    });
    for (const name of Object.keys(SETTINGS) as SettingName[]) {
      const field = configField(name);
      expect(field, name).toBe(SETTINGS[name].kind === 'duration' ? `${name}Ms` : name);
      expect(SHAPES[SETTINGS[name].kind](config[field]), `${name}: ${JSON.stringify(config[field])}`).toBe(
        true,
      );
    }
    expect(Object.keys(config)).toHaveLength(Object.keys(SETTINGS).length);
  });
});
