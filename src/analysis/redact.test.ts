import { describe, expect, it } from 'vitest';
import { SecretMasker } from '../secrets.js';
import { Redactor } from './redact.js';

const r = new Redactor();

describe('Redactor', () => {
  it.each([
    ['a password flag', 'myapp --password=hunter2secret --port 80', 'hunter2secret', '--password=***'],
    ['a token flag with a space', 'agent --token abcdef123456 run', 'abcdef123456', '--token ***'],
    ['an API key flag', 'cli --api-key=k-1234567890abcdef', 'k-1234567890abcdef', '--api-key=***'],
    ['a password in a URL', 'psql postgres://app:s3cr3tPass@db.internal:5432/app', 's3cr3tPass', 'postgres://***@db.internal'],
    ['a Redis URL', 'worker --broker redis://:redispass99@127.0.0.1:6379/0', 'redispass99', 'redis://***@'],
    ['an environment-like argument', 'env DB_PASSWORD=pa55word123 ./run', 'pa55word123', 'DB_PASSWORD=***'],
    ['an AWS access key id', 'aws s3 ls --profile x AKIAIOSFODNN7EXAMPLE', 'AKIAIOSFODNN7EXAMPLE', '***'],
    ['a camelCase secret key', '{"secretAccessKey": "abcDEF123456ghiJKL"}', 'abcDEF123456ghiJKL', '"secretAccessKey": "***"'],
    ['an AWS secret key', 'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'AWS_SECRET_ACCESS_KEY=***'],
    ['a GCP API key', 'curl https://maps.example/?x=1 AIzaSyA1234567890abcdefghijklmnopqrstuv', 'AIzaSyA1234567890abcdefghijklmnopqrstuv', '***'],
    ['a JWT', 'Cookie: session eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c', 'SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c', '***'],
    ['a Bearer header in a log line', 'request failed: Authorization: Bearer abcdefghijklmnop1234', 'abcdefghijklmnop1234', 'Bearer ***'],
    ['a GitHub token', 'git clone https://x ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789', '***'],
    ['a service-account JSON piece', '{"type": "service_account", "private_key_id": "0123456789abcdef0123456789abcdef01234567"}', '0123456789abcdef0123456789abcdef01234567', '"private_key_id": "***"'],
    ['a PEM private key', 'key: -----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY----- done', 'MIIEowIBAAKCAQEA7', '-----BEGIN PRIVATE KEY-----***'],
    ["mysql's attached -p", 'mysql -u root -pTopSecret1 appdb', 'TopSecret1', '-p***'],
    ['sshpass -p', 'sshpass -p hunter22 ssh deploy@host', 'hunter22', '-p ***'],
  ])('masks %s', (_, text, secret, shown) => {
    const out = r.redact(text);
    expect(out.text).not.toContain(secret);
    expect(out.text).toContain(shown);
    expect(out.masked).toBeGreaterThanOrEqual(1);
  });

  it.each([
    ['mkdir -p /var/lib/app', 'a -p that is not a password'],
    ['ssh -p 2222 deploy@host', 'a port'],
    ['nginx: worker process', 'an ordinary command line'],
    ['python3 train.py --epochs 10 --lr 0.001', 'numbers and flags'],
    ['tests passed: 120, bypass: enabled, tokens: 900', 'words that only contain pass or token'],
    ['app --password-file /etc/app/pw', 'a flag naming a file, not a secret'],
  ])('leaves %j alone (%s)', (text) => {
    expect(r.redact(text)).toEqual({ text, masked: 0 });
  });

  it('masks the values the agent knows are secret, and the operator patterns', () => {
    const known = new Redactor({ known: new SecretMasker(['my-discord-token-value']), extraPatterns: ['CUST-[0-9]{6}'] });
    const out = known.redact('posting with my-discord-token-value for CUST-123456');
    expect(out).toEqual({ text: 'posting with *** for ***', masked: 2 });
  });

  it('redacts every string of a JSON-like value and counts each masked value once', () => {
    const { value, masked } = r.redactDeep({ cmdline: 'app --password=abc12345', lines: ['token=zzz999zzz', 'fine'], pid: 4 });
    expect(value).toEqual({ cmdline: 'app --password=***', lines: ['token=***', 'fine'], pid: 4 });
    expect(masked).toBe(2);
  });

  it('does not count what was already masked', () => {
    expect(r.redact('app --password=***').masked).toBe(0);
  });
});
