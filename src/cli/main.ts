/**
 * main.ts: the dsrlab command line. Parses arguments (commander), runs one command, and maps
 * failures to exit codes: 0 done, 1 drops that --fail-on-drop asked about, 2 bad input.
 * Each command's work lives in src/cli/commands/<name>.ts; nothing here knows packets.
 */
import { Command, CommanderError } from 'commander';
import pc from './colour.js';
import { InputError } from '../errors.js';
import { pcapInfoCommand } from './commands/pcap-info.js';
import { replayCommand, type ReplayCommandOptions } from './commands/replay.js';
import { maglevCommand, type MaglevOptions } from './commands/maglev.js';
import { checkCommand, type CheckOptions } from './commands/check.js';
import { compareCommand, type CompareCommandOptions } from './commands/compare.js';
import { reportCommand, type ReportCommandOptions } from './commands/report.js';
import { explainCommand, type ExplainCommandOptions } from './commands/explain.js';
import { demoCommand, type DemoCommandOptions } from './commands/demo.js';
import { PACKET_SPEC_SYNTAX } from '../explain/packet-spec.js';

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
  $ dsrlab demo                               SNAT vs DSR vs hybrid, hop by hop (no files needed)
  $ dsrlab explain --scenario lab.yaml --packet 'tcp 203.0.113.7:40000 > 198.51.100.10:80 syn'
  $ dsrlab maglev 10.0.1.5:8080 10.0.2.7:8080 --remove 10.0.2.7:8080

Exit status: 0 done, 1 drops found with --fail-on-drop, 2 bad input.`,
    );
  program.exitOverride();

  program
    .command('demo')
    .description('the built-in scenario (no files needed): a TCP and a UDP flow in SNAT, DSR and hybrid, hop by hop, with what each mode teaches')
    .option('--mode <mode>', 'show one mode only: snat, dsr or hybrid (lessons still compare with SNAT)')
    .option('--json', 'print one JSON object: {scenario, shown, modes: [{mode, tcp, udp, xdp (explanations), facts, takeaways}]}')
    .addHelpText(
      'after',
      `
The scenario: client 203.0.113.7, LoadBalancer 198.51.100.10 (TCP 80, UDP 53) entering at node-a,
backends on node-b and node-c, MTU 1500, pmtuDiscovery on, Cilium 1.19. Per mode: sequence
diagrams (SYN, SYN-ACK, full-size data; a UDP query, a full-size datagram and its retry), header
diffs per hop, what tcpdump on each node sees (also with XDP acceleration), and takeaways whose
numbers come from the emulation's events.

Examples:
  $ dsrlab demo
  $ dsrlab demo --mode dsr
  $ dsrlab demo --json | jq '.modes[].takeaways'`,
    )
    .action((opts: DemoCommandOptions) => setCode(demoCommand(opts)));

  program
    .command('explain')
    .description('one flow hop by hop: node, hook, action or drop reason, header diff, state created, which capture points saw it')
    .requiredOption('--scenario <file>', 'the scenario (Cilium Helm values, nodes, clients, Services and EndpointSlices)')
    .option('--packet <spec>', `a packet to send (repeat for a sequence; the echo responder answers each): ${PACKET_SPEC_SYNTAX}`, (v: string, prev: string[] = []) => [...prev, v])
    .option('--capture <file>', 'explain one flow of this pcap/pcapng instead (its server packets are re-injected at the chosen pod)')
    .option('--flow <n>', 'with --capture: the flow to explain, 1-based in order of first appearance (default 1)')
    .option('--mode <mode>', 'override cilium.loadBalancer.mode: snat, dsr or hybrid')
    .option('--responder <kind>', 'with --packet: echo (default) or none')
    .option('--brief', 'leave out unchanged hops, MAC and checksum changes')
    .option('--json', 'print the Explanation as one JSON object: {flow, hosts, packets: [{hops: [{host, point, verdict, action, changes, created, backend, …}], crossings, seenBy, missedBy}], tcpdump, summary}')
    .addHelpText(
      'after',
      `
Quote the SPEC: it holds '>'. IPv6 addresses go in brackets: [2001:db8::7]:40000.

Examples:
  $ dsrlab explain --scenario fixtures/scenarios/dsr.yaml --packet 'tcp 203.0.113.7:40000 > 198.51.100.10:80 syn'
  $ dsrlab explain --scenario fixtures/scenarios/dsr.yaml --packet 'udp 203.0.113.7:40001 > 198.51.100.10:53 len=1472'
  $ dsrlab explain --scenario lab.yaml --packet 'tcp 203.0.113.7:40000 > 198.51.100.10:80 syn' --packet 'tcp 203.0.113.7:40000 > 198.51.100.10:80 ack psh len=1460' --mode snat
  $ dsrlab explain --scenario fixtures/scenarios/dsr.yaml --capture fixtures/captures/tcp-handshake.pcap --flow 1 --json

Exit status: 0 done, 2 bad input (scenario, SPEC, capture, flow number or option).`,
    )
    .action(async (opts: ExplainCommandOptions) => setCode(await explainCommand(opts)));

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
    .option('--flows <level>', 'flows.jsonl with --out: hops (one line per packet per hop) or none (no flow log: for very large captures)', 'hops')
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

  program
    .command('check')
    .description('validate a scenario (or read Kubespray/Kubean variables) and print the effective Cilium configuration, with what each setting requires and implies')
    .argument('[scenario]', 'a scenario file')
    .option('--kubespray <vars>', 'check a Kubespray/Kubean variables file (cilium_* variables and cilium_config_extra_vars) instead of a scenario')
    .option('--mode <mode>', 'override cilium.loadBalancer.mode: snat, dsr or hybrid')
    .option('--json', 'print one JSON object: {valid, effective, settings, requirements: [{setting, value, requires, implies, status}], warnings, errors}')
    .addHelpText(
      'after',
      `
Examples:
  $ dsrlab check fixtures/scenarios/maglev.yaml
  $ dsrlab check lab.yaml --mode dsr             what DSR would require of this cluster
  $ dsrlab check --kubespray group_vars/k8s_cluster/k8s-net-cilium.yml
  $ dsrlab check lab.yaml --json | jq '.warnings'

Exit status: 0 valid (warnings, marked ⚠, included), 2 invalid scenario or a Kubespray file with errors (✗).`,
    )
    .action(async (file: string | undefined, opts: CheckOptions) => setCode(await checkCommand(file, opts)));
  program
    .command('compare')
    .description('replay the same capture under several load-balancer modes and show them side by side, flow by flow')
    .argument('<capture>', 'a pcap or pcapng file')
    .requiredOption('--scenario <file>', 'the scenario (Cilium Helm values, nodes, clients, Services and EndpointSlices)')
    .option('--modes <list>', 'modes to compare, comma-separated: snat, dsr, hybrid', 'snat,dsr,hybrid')
    .option('--responder <kind>', "capture, echo or none (default: replay's: capture when the capture holds server packets, else echo)")
    .option('--max-flows <n>', 'flows shown in the text output (default 20; --json has all)')
    .option('--json', 'print one JSON object: {modes, runs: [{mode, packets, dropReasons, links, …}], flows: [{key, label, modes: {<mode>: {hops, replyPath, backendSaw, snatPorts, …}}}]}')
    .addHelpText(
      'after',
      `
Per flow (client → frontend), one column per mode: how requests were forwarded (DSR/SNAT), the
backend, hops (links crossed) per request and reply, the request and reply paths, the source the
backend saw, what the client saw, MTU drops / ICMP errors, SNAT ports. Totals: packets per fate,
drops by reason, bytes on each host's link (what wire-<host>.pcap of replay --out would hold).
Cells that differ from the first mode's are highlighted.

Examples:
  $ dsrlab compare fixtures/captures/real-http-udp.pcap --scenario fixtures/scenarios/real-capture.yaml
  $ dsrlab compare web.pcapng --scenario lab.yaml --modes snat,dsr
  $ dsrlab compare web.pcapng --scenario lab.yaml --json | jq '.flows[0].modes.dsr.replyPath'

Exit status: 0 done, 2 bad input (scenario, capture or option).`,
    )
    .action(async (file: string, opts: CompareCommandOptions) => setCode(await compareCommand(file, opts)));

  program
    .command('report')
    .description('replay a capture and write a self-contained HTML report with a sequence diagram (SVG) per flow')
    .argument('<capture>', 'a pcap or pcapng file')
    .requiredOption('--scenario <file>', 'the scenario (Cilium Helm values, nodes, clients, Services and EndpointSlices)')
    .requiredOption('--html <file>', 'where to write the report (one HTML file: inline CSS and SVG, no scripts, nothing fetched)')
    .option('--mode <mode>', 'override cilium.loadBalancer.mode: snat, dsr or hybrid')
    .option('--responder <kind>', "capture, echo or none (default: replay's)")
    .option('--max-flows <n>', 'flows drawn as sequence diagrams (default 50)')
    .option('--packets-per-flow <n>', 'packets drawn per flow (default 12, plus later dropped or answered ones)')
    .addHelpText(
      'after',
      `
The page holds the summary (packets per fate, drops by reason with Hubble's names, flows per
backend as a bar chart, hooks per node), an index of flows and, per flow, a sequence diagram:
hosts as lifelines, packets as arrows labelled with their tuple on each link, rewritten fields
highlighted (DNAT, SNAT, DSR option/TLV, encapsulation, rev-NAT), drops with their reason,
ICMP errors the datapath sent.

Examples:
  $ dsrlab report fixtures/captures/real-http-udp.pcap --scenario fixtures/scenarios/real-capture.yaml --mode dsr --html dsr.html
  $ dsrlab report web.pcapng --scenario lab.yaml --html report.html --max-flows 10

Exit status: 0 done, 2 bad input (scenario, capture, option, or the file cannot be written).`,
    )
    .action(async (file: string, opts: ReportCommandOptions) => setCode(await reportCommand(file, opts)));
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
