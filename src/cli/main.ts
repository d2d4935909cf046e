/**
 * main.ts: the dsrlab command line. Parses arguments (commander), runs one command, and maps
 * failures to exit codes: 0 done, 1 drops that --fail-on-drop asked about, 2 bad input.
 * Each command's work lives in src/cli/commands/<name>.ts; nothing here knows packets.
 */
import { Command, CommanderError } from 'commander';
import pc from 'picocolors';
import { InputError } from '../errors.js';
import { pcapInfoCommand } from './commands/pcap-info.js';
import { replayCommand, type ReplayCommandOptions } from './commands/replay.js';
import { maglevCommand, type MaglevOptions } from './commands/maglev.js';

export const EXIT_OK = 0;
export const EXIT_DROPS = 1;
export const EXIT_BAD_INPUT = 2;

function buildProgram(setCode: (c: number) => void): Command {
  const program = new Command('dsrlab')
    .description("A laboratory for Cilium's eBPF load-balancer datapath: SNAT, DSR and hybrid, byte for byte.")
    .version('0.1.0')
    .showHelpAfterError()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .addHelpText(
      'after',
      `
Examples:
  $ dsrlab replay capture.pcap --scenario lab.yaml --out out/   replay through the emulated cluster
  $ dsrlab pcap info capture.pcapng          counts, link type, time span, protocol mix
  $ dsrlab pcap info capture.pcap --json     the same as JSON
  $ dsrlab maglev 10.0.1.5:8080 10.0.2.7:8080 --remove 10.0.2.7:8080

Exit status: 0 done, 1 drops found with --fail-on-drop, 2 bad input.`,
    );
  program.exitOverride();

  const pcap = program.command('pcap').description('work with capture files (pcap, pcapng)');
  pcap
    .command('info')
    .description('packets, bytes, link type, time span and protocol mix of a capture')
    .argument('<capture>', 'a pcap or pcapng file')
    .option('--json', 'print one JSON object')
    .addHelpText('after', '\nExamples:\n  $ dsrlab pcap info fixtures/captures/tcp-handshake.pcap\n  $ dsrlab pcap info big.pcapng --json | jq .l4')
    .action((file: string, opts: { json?: boolean }) => setCode(pcapInfoCommand(file, opts)));
  program
    .command('maglev')
    .description("build a Maglev table as Cilium would and show per-backend slot counts")
    .argument('<backend...>', 'ADDR:PORT[/PROTO][,weight=N][,cluster=ID][,internal] (IPv6 in brackets)')
    .option('--seed <b64>', 'maglev.hashSeed: base64 of 12 bytes (default: Cilium\'s JLfvgnHc2kaSUFaI)')
    .option('--size <M>', "maglev.tableSize: one of Cilium's primes (default 16381)")
    .option('--remove <backend>', 'also build without this backend and count the slots that move')
    .option('--dump', 'print the whole table')
    .option('--json', 'print one JSON object')
    .addHelpText(
      'after',
      '\nExamples:\n  $ dsrlab maglev 10.0.1.5:8080 10.0.2.7:8080 10.0.3.9:8080\n  $ dsrlab maglev --size 251 10.0.0.1:53/UDP,weight=2 [fd00::1]:53/UDP --remove 10.0.0.1:53/UDP\n  $ dsrlab maglev 10.0.0.1:80 10.0.0.2:80 --dump --json',
    )
    .action((backends: string[], opts: MaglevOptions) => setCode(maglevCommand(backends, opts)));

  program
    .command('replay')
    .description('replay a capture through the emulated cluster; write what every capture point saw and print a summary')
    .argument('<capture>', 'a pcap or pcapng file')
    .requiredOption('--scenario <file>', 'the scenario (Cilium Helm values, nodes, clients, Services and EndpointSlices)')
    .option('--out <dir>', 'write summary.json, flows.jsonl and points/*.pcap to this directory')
    .option('--mode <mode>', 'override cilium.loadBalancer.mode: snat, dsr or hybrid')
    .option(
      '--responder <kind>',
      'who answers requests that reach a pod: capture (re-inject the capture\'s server packets at the chosen pod), echo (a TCP/UDP/ICMP echo server) or none; default: capture when the capture holds server packets (from a frontend address), else echo',
    )
    .option('--json', 'print the summary as one JSON object (the same as summary.json)')
    .option('--fail-on-drop', 'exit with status 1 when any packet was dropped (withheld server packets do not count)')
    .addHelpText(
      'after',
      `
Output (with --out DIR):
  DIR/summary.json                 packets in, fates (delivered, toStack, dropped, answered), drop reasons, per node/hook counts, flows by backend
  DIR/flows.jsonl                  one Hubble-like JSON object per packet per hop
  DIR/points/wire-<host>.pcap      what crossed each client's, node's and pod's link (and world's)
  DIR/points/tcpdump-<node>.pcap   what tcpdump on each node's external device would show

Examples:
  $ dsrlab replay fixtures/captures/tcp-handshake.pcap --scenario fixtures/scenarios/snat.yaml
  $ dsrlab replay web.pcapng --scenario lab.yaml --mode dsr --out out/dsr
  $ dsrlab replay web.pcapng --scenario lab.yaml --responder echo --json | jq .dropReasons
  $ dsrlab replay web.pcapng --scenario lab.yaml --fail-on-drop    exit 1 if Cilium would drop anything

Exit status: 0 done, 1 drops found with --fail-on-drop, 2 bad input (scenario, capture or option).`,
    )
    .action(async (file: string, opts: ReplayCommandOptions) => setCode(await replayCommand(file, opts)));
  return program;
}

/** Runs the CLI on argv (without node and script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  let code = EXIT_OK;
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end through here with exitCode 0.
      return e.exitCode === 0 ? EXIT_OK : EXIT_BAD_INPUT;
    }
    if (e instanceof InputError) {
      process.stderr.write(`${pc.red('dsrlab: error:')} ${e.message}\n`);
      return EXIT_BAD_INPUT;
    }
    throw e;
  }
}
