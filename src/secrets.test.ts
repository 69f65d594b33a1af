import { describe, expect, it } from 'vitest';
import { SecretMasker, redactUrl, urlSecrets } from './secrets.js';

describe('redactUrl', () => {
  it.each([
    ['http://user:pass@netdata:19999', 'http://***@netdata:19999'],
    ['https://tok_123@db.turso.io', 'https://***@db.turso.io'],
    ['libsql://db.turso.io?authToken=abc.def&tls=1', 'libsql://db.turso.io?authToken=***&tls=1'],
    ['http://h/x?token=t1&api_key=k2&password=p3&client_secret=s4&page=2', 'http://h/x?token=***&api_key=***&password=***&client_secret=***&page=2'],
    ['https://discord.com/api/webhooks/123456/AbC-def_ghi', 'https://discord.com/api/webhooks/123456/***'],
    ['file:/var/lib/opsagent/opsagent.db', 'file:/var/lib/opsagent/opsagent.db'],
    ['http://127.0.0.1:19999', 'http://127.0.0.1:19999'],
  ])('%s → %s', (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });

  it('keeps the punctuation that ends a sentence after a URL', () => {
    expect(redactUrl('cannot open http://h?authToken=abc: refused')).toBe('cannot open http://h?authToken=***: refused');
  });
});

describe('SecretMasker', () => {
  const masker = new SecretMasker(['sk-live-123456', 'q"uote\\d-secret', 'ab', ...urlSecrets('http://ops:p%40ss-99@h:1')]);

  it.each([
    ['401: invalid key sk-live-123456', '401: invalid key ***'],
    ['{"msg":"echo q\\"uote\\\\d-secret"}', '{"msg":"echo ***"}'], // JSON-escaped, as inside a log line
    ['GET /x?k=sk-live-123456', 'GET /x?k=***'],
    ['url-encoded sk-live-123456 and p%40ss-99 and p@ss-99', 'url-encoded *** and *** and ***'],
    [`basic ${Buffer.from('ops:p@ss-99').toString('base64')}`, 'basic ***'],
    ['Authorization: Bearer abcdefgh12345678', 'Authorization: Bearer ***'],
    ['ab stays: values under 4 characters are not masked as text', 'ab stays: values under 4 characters are not masked as text'],
  ])('%s', (text, masked) => {
    expect(masker.mask(text)).toBe(masked);
  });

  it('masks every string of a value, object keys included, without changing numbers and booleans', () => {
    expect(masker.maskDeep({ 'netdata:http://ops:p%40ss-99@h:1': { state: 'error', failures: 3, ok: false, error: ['sk-live-123456'] } })).toEqual({
      'netdata:http://***@h:1': { state: 'error', failures: 3, ok: false, error: ['***'] },
    });
  });

  it('reads the secret environment variables, URL credentials only for the URL ones', () => {
    const env = SecretMasker.fromEnv({ MOONSHOT_API_KEY: 'sk-env-777777', TURSO_DATABASE_URL: 'libsql://db.example?authToken=envtok99', HOME: '/root' });
    expect(env.mask('sk-env-777777 envtok99 libsql://db.example /root')).toBe('*** *** libsql://db.example /root');
  });
});
