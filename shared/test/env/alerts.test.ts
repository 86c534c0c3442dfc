import { describe, expect, it } from 'vitest';
import { AlertsEnv, FraudstreamError, loadConfig } from '@fraudstream/shared';

const required = { ALERTS_API_TOKEN: 'an-api-token-0123456789' };

describe('AlertsEnv', () => {
  it('binds this machine only and allows no cross-origin access by default', () => {
    const env = loadConfig(AlertsEnv, required);
    expect(env.HOST).toBe('127.0.0.1');
    expect(env.ALERTS_CORS_ORIGINS).toEqual([]);
  });

  it('reads the allowed CORS origins as a comma list', () => {
    const env = loadConfig(AlertsEnv, { ...required, ALERTS_CORS_ORIGINS: 'https://ops.example.com, http://localhost:5173,' });
    expect(env.ALERTS_CORS_ORIGINS).toEqual(['https://ops.example.com', 'http://localhost:5173']);
  });

  it('refuses an origin with a path, a wildcard or no scheme, naming the variable', () => {
    for (const value of ['https://ops.example.com/dashboard', '*', 'ops.example.com']) {
      expect(() => loadConfig(AlertsEnv, { ...required, ALERTS_CORS_ORIGINS: value }), value).toThrow(FraudstreamError);
      expect(() => loadConfig(AlertsEnv, { ...required, ALERTS_CORS_ORIGINS: value }), value).toThrow(/ALERTS_CORS_ORIGINS/);
    }
  });
});
