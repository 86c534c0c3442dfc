import { describe, expect, it } from 'vitest';
import { DetectorEnv, loadConfig } from '@fraudstream/shared';

describe('DetectorEnv', () => {
  it('binds the ops server to this machine only by default', () => {
    expect(loadConfig(DetectorEnv, {}).DETECTOR_HOST).toBe('127.0.0.1');
    expect(loadConfig(DetectorEnv, { DETECTOR_HOST: '0.0.0.0' }).DETECTOR_HOST).toBe('0.0.0.0');
  });
});
