import { minimumAgeProblem, systemRootProblem } from '../model/cleanup-roots.js';
import { PERMISSION_LEVELS } from '../model/permission.js';
import { z } from 'zod';
import { configWindowProblems } from '../model/maintenance-window.js';
import { ChannelsSchema } from './channels-schema.js';

/** The only description of config/netdata.yaml. The seed's keys keep their names; extensions are grouped. */

const minutes = z.number().int().min(0);
const port = z.number().int().min(0).max(65_535); // 0 = any free port
const unitName = z.string().regex(/^[A-Za-z0-9@._:-]{1,128}$/, 'must be a systemd unit name ([A-Za-z0-9@._:-])');
/** A directory cleanup_disk may clean: never a system directory (see cleanup-roots.ts); checked again before each run. */
const cleanupRoot = z.string().min(1).superRefine((root, ctx) => {
  const problem = systemRootProblem(root);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24h)');

const matcherText = z.string().min(1).max(1_100);
/** A maintenance window of the config file (model/maintenance-window.ts checks the rest: zone, days, times, regexes). */
const ConfigWindow = z.strictObject({
  name: z.string().min(1).max(80),
  matchers: z.array(matcherText).min(1),
  time_zone: z.string().optional(),
  days: z.array(z.string()).optional(),
  start: hhmm.optional(),
  end: hhmm.optional(),
  starts_at: z.string().optional(), // ISO 8601 with a zone, for a one-off window
  ends_at: z.string().optional(),
  comment: z.string().max(1_000).optional(),
});

const NetdataServer = z.strictObject({
  id: z.string().default(''), // '' = the Netdata host's uid from /api/v1/info
  url: z.url(),
});

/** A JavaScript regular expression that compiles and cannot match the empty string (it would mask everywhere). */
const redactPattern = z
  .string()
  .min(1)
  .max(1_000)
  .superRefine((pattern, ctx) => {
    let re: RegExp;
    try {
      re = new RegExp(pattern, 'g');
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `not a valid regular expression: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
    if (re.test('')) ctx.addIssue({ code: 'custom', message: 'matches the empty string: it would mask nothing useful and everything around it' });
  });

export const ConfigSchema = z.strictObject({
  netdata: z
    .strictObject({
      url: z.string().default('http://localhost:19999'), // '' = do not poll
      pollInterval: z.number().positive().max(3600).default(30), // seconds
      servers: z.array(NetdataServer).default([]),
      timeoutMs: z.number().int().positive().default(5_000),
    })
    .prefault({}),
  opsagent: z
    .strictObject({
      model: z.string().min(1).default('kimi-k2.5'),
      permissionLevel: z.enum(PERMISSION_LEVELS).default('limited'),
      autoRemediate: z.boolean().default(false),
      serverId: z.string().default(''), // '' = this machine's hostname
    })
    .prefault({}),
  discord: z
    .strictObject({
      enabled: z.boolean().default(true),
      webhookUrl: z.string().default(''),
      notifyOnCritical: z.boolean().default(true),
      notifyOnAgentAction: z.boolean().default(true),
      username: z.string().max(80).default('OpsAgent'),
      timeoutMs: z.number().int().positive().default(10_000),
      maxMessagesPerMinute: z.number().int().min(1).max(60).default(25), // posts and edits together, per channel
      // A resolution edits the issue's live message ('edit'), or also posts a short new message ('edit-and-message').
      resolution: z.enum(['edit', 'edit-and-message']).default('edit'),
      // A flapping issue's live message says it settled after this long without a resolve or reopen.
      settleMinutes: z.number().positive().max(1_440).default(10),
      // Open critical issues nobody acknowledged are listed again in one message this often (Alertmanager's
      // repeat_interval); 0 = no reminders.
      reminderIntervalMinutes: z.number().min(0).max(10_080).default(240),
      digest: z
        .strictObject({
          enabled: z.boolean().default(true),
          time: hhmm.default('09:00'),
          timezone: z.string().default('UTC'),
        })
        .prefault({}),
      bot: z
        .strictObject({
          token: z.string().default(''),
          applicationPublicKey: z.string().regex(/^([0-9a-fA-F]{64})?$/, 'must be 64 hex characters').default(''),
          channelId: z.string().default(''),
          approverIds: z.array(z.string()).default([]),
          approverRoleIds: z.array(z.string()).default([]),
          apiBaseUrl: z.url().default('https://discord.com/api/v10'),
        })
        .prefault({}),
    })
    .prefault({}),
  // More channels besides the seed's Discord keys (docs/channels.md): Slack, Telegram, PagerDuty, a signed webhook.
  channels: ChannelsSchema,
  database: z
    .strictObject({
      url: z.string().min(1).default('file:data/opsagent.db'),
      authToken: z.string().default(''),
    })
    .prefault({}),
  server: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: port.default(8080),
      apiToken: z.string().default(''),
      publicUrl: z.string().default(''), // used in links sent to Discord; '' = http://host:port
      // Host names the daemon answers to besides loopback, server.host and publicUrl's host (a DNS name, a tunnel):
      // any other Host header is refused, so a DNS-rebinding page cannot read /metrics, /healthz or the dashboard.
      allowedHosts: z.array(z.string().trim().min(1).max(253)).default([]),
      bodyLimitBytes: z.number().int().positive().default(1_048_576),
      requestTimeoutMs: z.number().int().min(1_000).max(600_000).default(30_000), // one whole request, headers and body
    })
    .prefault({}),
  llm: z
    .strictObject({
      baseUrl: z.url().default('https://api.moonshot.ai/v1'),
      apiKey: z.string().default(''),
      timeoutSeconds: z.number().positive().default(60),
      maxCallsPerHour: z.number().int().min(0).default(30),
      maxSteps: z.number().int().min(1).max(20).default(6),
      maxCompletionTokens: z.number().int().positive().default(4096),
      // Masked in what is sent to the LLM, on top of the built-in secret shapes (src/analysis/redact.ts).
      redact: z
        .strictObject({ patterns: z.array(redactPattern).max(100).default([]) })
        .prefault({}),
      // What the eval reports as cost (npm run eval); 0 = unknown.
      pricePerMillionInputTokens: z.number().min(0).default(0),
      pricePerMillionOutputTokens: z.number().min(0).default(0),
    })
    .prefault({}),
  issues: z
    .strictObject({
      reopenWindowMinutes: minutes.default(60),
      archiveAfterDays: z.number().int().min(1).default(30),
      commentEveryFiringUpTo: z.number().int().min(0).default(100),
      rollupEvery: z.number().int().min(1).default(100),
      flapping: z
        .strictObject({ transitions: z.number().int().min(2).default(5), windowMinutes: z.number().int().min(1).default(60) })
        .prefault({}),
    })
    .prefault({}),
  actions: z
    .strictObject({
      dryRun: z.boolean().default(false),
      approvalTimeoutMinutes: z.number().int().min(1).default(60),
      cooldownMinutes: minutes.default(15),
      verifyWindowMinutes: z.number().int().min(1).default(10),
      timeoutSeconds: z.number().positive().default(30),
      outputLimitBytes: z.number().int().positive().default(8_192),
      killProcess: z
        .strictObject({
          graceMs: z.number().int().min(0).default(5_000),
          protectedNames: z
            .array(z.string())
            .default(['systemd', 'init', 'sshd', 'netdata', 'dockerd', 'containerd', 'postgres', 'mysqld', 'mariadbd', 'sqld', 'opsagent']), // added to the built-in set of src/model/protected.ts, never replacing it
          allowedNames: z.array(z.string()).default([]), // [] = any name not protected
          allowedUsers: z.array(z.string()).default([]), // [] = any user
          allowedCgroups: z.array(z.string()).default([]), // "/a.slice/b.service" = that cgroup and below; "b.service" = whole path segment(s); [] = any
          allowedPids: z.array(z.number().int().positive()).default([]), // [] = any; tests pin their own children here
        })
        .prefault({}),
      restartService: z
        .strictObject({
          command: z.array(z.string().min(1)).min(1).default(['systemctl', 'restart']),
          allow: z.array(unitName).default([]), // [] = any unit not denied
          deny: z.array(unitName).default(['sshd.service', 'ssh.service', 'systemd-journald.service', 'dbus.service']), // added to the built-in set
        })
        .prefault({}),
      cleanupDisk: z
        .strictObject({
          roots: z.array(cleanupRoot).default(['/tmp', '/var/tmp']),
          olderThanDays: z.number().min(0).default(7), // below 1 only for roots that are not shared temp dirs
          maxFiles: z.number().int().positive().default(100_000),
        })
        .superRefine((c, ctx) => {
          const problem = minimumAgeProblem(c.roots, c.olderThanDays);
          if (problem) ctx.addIssue({ code: 'custom', path: ['olderThanDays'], message: problem });
        })
        .prefault({}),
      clearCache: z
        .strictObject({ command: z.array(z.string().min(1)).default([]) }) // [] = write 1 to /proc/sys/vm/drop_caches
        .prefault({}),
      customCommand: z
        .strictObject({ allowShell: z.boolean().default(false) })
        .prefault({}),
      logAnalysis: z
        .strictObject({ useJournal: z.boolean().default(true) }) // false = read analysis.logFiles only
        .prefault({}),
      scanIntervalSeconds: z.number().positive().default(5), // expiry, verification deadlines, approved actions
    })
    .prefault({}),
  silences: z
    .strictObject({
      maxDurationDays: z.number().positive().max(366).default(30),
      checkIntervalSeconds: z.number().positive().max(3_600).default(15), // ends, window boundaries, reminders
      windows: z.array(ConfigWindow).default([]),
    })
    .superRefine((s, ctx) => {
      const problems = configWindowProblems(s.windows, s.maxDurationDays);
      for (const [i, message] of problems) ctx.addIssue({ code: 'custom', path: ['windows', i], message });
    })
    .prefault({}),
  // Local runbooks (docs/runbooks.md): markdown files with matchers in their front matter. '' = none.
  runbooks: z.strictObject({ dir: z.string().default('') }).prefault({}),
  analysis: z
    .strictObject({
      enabled: z.boolean().default(true),
      logFiles: z.array(z.string()).default(['/var/log/syslog', '/var/log/messages']),
      gatherTimeoutMs: z.number().int().positive().default(5_000),
    })
    .prefault({}),
});

export type Config = z.infer<typeof ConfigSchema>;
