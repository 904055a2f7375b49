#!/usr/bin/env node
// The gpuvm-review command.

import { RULES } from '../model/rules';
import { TOOL, VERSION } from '../version';
import { simulateFiles, type Io } from './simulate';

const USAGE = `usage:
  ${TOOL} check [--format text|json|sarif] [--config FILE] [--mode auto|immediate|staged] [--api upstream|series|asahi] PATH...
  ${TOOL} simulate [--format text|json] [--state] [--expect] FILE.gpuvm...
  ${TOOL} rules
  ${TOOL} --version

exit status: 0 no error-severity findings, 1 some, 2 the tool could not run`;

export interface ParsedArgs {
  command: string;
  flags: Map<string, string | true>;
  paths: string[];
}

const VALUE_FLAGS = new Set(['--format', '--config', '--mode', '--api', '--budget']);

export function parseArgs(argv: string[]): ParsedArgs | string {
  const [command, ...rest] = argv;
  if (!command) return 'no command';
  const flags = new Map<string, string | true>();
  const paths: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--') { paths.push(...rest.slice(i + 1)); break; }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(0, eq) : a;
      if (VALUE_FLAGS.has(name)) {
        const v = eq >= 0 ? a.slice(eq + 1) : rest[++i];
        if (v === undefined) return `${name} needs a value`;
        flags.set(name, v);
      } else {
        flags.set(name, true);
      }
    } else {
      paths.push(a);
    }
  }
  return { command, flags, paths };
}

export async function main(argv: string[], io: Io): Promise<number> {
  if (argv[0] === '--version' || argv[0] === '-V') { io.out(`${TOOL} ${VERSION}`); return 0; }
  if (!argv.length || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') { io.out(USAGE); return argv.length ? 0 : 2; }
  const p = parseArgs(argv);
  if (typeof p === 'string') { io.err(`${TOOL}: ${p}\n${USAGE}`); return 2; }
  const known: Record<string, string[]> = {
    simulate: ['--format', '--state', '--expect'],
    check: ['--format', '--config', '--mode', '--api', '--budget', '--no-trace'],
    rules: ['--format'],
  };
  const allowed = known[p.command];
  if (!allowed) { io.err(`${TOOL}: unknown command '${p.command}'\n${USAGE}`); return 2; }
  for (const f of p.flags.keys()) {
    if (!allowed.includes(f)) { io.err(`${TOOL} ${p.command}: unknown option ${f}`); return 2; }
  }
  const format = (p.flags.get('--format') ?? 'text') as string;
  switch (p.command) {
    case 'rules': {
      if (format === 'json') io.out(JSON.stringify(RULES, null, 2));
      else for (const r of RULES) io.out(`${r.id.padEnd(32)} ${r.severity.padEnd(8)} ${r.title}`);
      return 0;
    }
    case 'check': {
      const { checkPaths } = await import('./check');
      return checkPaths(p, io);
    }
    case 'simulate': {
      if (format !== 'text' && format !== 'json') { io.err(`${TOOL} simulate: --format is text or json`); return 2; }
      if (!p.paths.length) { io.err(`${TOOL} simulate: no scenario file given\n${USAGE}`); return 2; }
      return simulateFiles(p.paths, { format, state: p.flags.has('--state'), expect: p.flags.has('--expect') }, io);
    }
  }
  return 2;
}

if (require.main === module) {
  const io: Io = { out: (s) => process.stdout.write(`${s}\n`), err: (s) => process.stderr.write(`${s}\n`) };
  main(process.argv.slice(2), io).then((code) => { process.exitCode = code; }, (e: unknown) => {
    process.stderr.write(`${TOOL}: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
  });
}
