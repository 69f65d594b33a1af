import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { AppError, errorMessage } from '../errors.js';
import { PACKAGE_ROOT, SYSTEM_PLACES, standardPlaces, userPlaces } from '../paths.js';
import { systemdUnit } from './systemd-unit.js';

function attempt<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new AppError('INPUT_INVALID', `cannot ${what}: ${errorMessage(err)}`, { cause: err });
  }
}

/** The package's example config, with the database in the data directory: relative paths would resolve in the package. */
export function initialConfig(dataDir: string): string {
  const example = readFileSync(join(PACKAGE_ROOT, 'config/netdata.yaml'), 'utf8');
  const database = `file:${join(dataDir, 'opsagent.db')}`;
  const text = example.replace(/^( {2}url: )"file:data\/opsagent\.db"/m, `$1"${database}"`);
  if (text === example) throw new Error('config/netdata.yaml has no database.url line to point at the data directory');
  return `# Written by \`opsagent init\`; \`opsagent config-check\` shows which config is used and why.\n${text}`;
}

export function init(opts: { user?: boolean }, env: NodeJS.ProcessEnv = process.env): void {
  const places = opts.user ? userPlaces(env) : standardPlaces(env);
  attempt(`create the data directory ${places.dataDir}`, () => mkdirSync(places.dataDir, { recursive: true, mode: 0o750 }));
  console.log(`data directory: ${places.dataDir}`);
  if (existsSync(places.configFile)) {
    console.log(`kept the existing config ${places.configFile} (init never overwrites one)`);
    return;
  }
  attempt(`create ${dirname(places.configFile)}`, () => mkdirSync(dirname(places.configFile), { recursive: true, mode: 0o755 }));
  // 'wx': a config another process wrote meanwhile is kept as well. 0640: it may name secrets' variables and hosts.
  attempt(`write ${places.configFile}`, () => writeFileSync(places.configFile, initialConfig(places.dataDir), { flag: 'wx', mode: 0o640 }));
  console.log(`wrote ${places.configFile}; check it with: opsagent config-check`);
}

export function installService(opts: { print?: boolean; user: string; unitDir: string }): void {
  // argv[1] is the npm bin link; the unit names the file it points to, which stays put until the package is removed.
  const program = process.argv[1] ? realpathSync(process.argv[1]) : resolve('dist/bin/opsagent.js');
  const unit = systemdUnit({ node: process.execPath, program, user: opts.user, configFile: SYSTEM_PLACES.configFile, dataDir: SYSTEM_PLACES.dataDir });
  if (opts.print) {
    process.stdout.write(unit);
    return;
  }
  const file = join(opts.unitDir, 'opsagent.service');
  attempt(`write ${file} (run it as root, or print the unit with --print)`, () => writeFileSync(file, unit, { mode: 0o644 }));
  console.log(`wrote ${file}; now: sudo systemctl daemon-reload && sudo systemctl enable --now opsagent`);
  console.log(`(the daemon runs as ${opts.user} with ${SYSTEM_PLACES.configFile}; create them first: useradd --system ${opts.user}, opsagent init as root)`);
}
