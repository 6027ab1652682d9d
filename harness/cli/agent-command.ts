/**
 * `netconform agent`: the peer agent (suites/lib/net/peer-agent.ts) as a command of the installed
 * package, for host mode's measurements across segments: run on a machine on each segment,
 * named in a scenario's `with.peers`. It runs until SIGINT or SIGTERM.
 */
import { hostname } from 'node:os';
import { CliError, ExitCode } from '../util/exit-codes.ts';

export interface AgentFlags {
  name?: string;
  port?: string;
  allowHostNetwork?: boolean;
  verbose?: boolean;
}

export async function agentCommand(flags: AgentFlags): Promise<void> {
  const { DEFAULT_PEER_PORT } = await import('../../suites/lib/net/peer-protocol.ts');
  const port = flags.port === undefined ? DEFAULT_PEER_PORT : Number(flags.port);
  // 0: a port the kernel picks (said on the first line), for tests and a second agent on one machine.
  if (!Number.isInteger(port) || port < 0 || port > 65535 || flags.port?.trim() === '') {
    throw new CliError(`agent --port must be a UDP port from 0 to 65535, got "${flags.port}"`, ExitCode.usage);
  }
  const { startPeerAgent } = await import('../../suites/lib/net/peer-agent.ts');
  let agent;
  try {
    agent = startPeerAgent({
      name: flags.name ?? hostname(),
      port,
      allowHostNetwork: flags.allowHostNetwork === true,
      log: flags.verbose ? (l) => void process.stdout.write(`${l}\n`) : undefined,
    });
  } catch (err) {
    throw new CliError(`agent: cannot listen on UDP port ${port}: ${(err as Error).message}`, ExitCode.environment);
  }
  process.stdout.write(
    `netconform: peer agent ${agent.name} listening on 0.0.0.0:${agent.port}${flags.allowHostNetwork ? '' : ' (multicast sends refused without --allow-host-network)'}\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  agent.close();
  process.stdout.write(`netconform: peer agent ${agent.name} stopped\n`);
}
