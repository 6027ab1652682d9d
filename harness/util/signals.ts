/**
 * The signals that end a run as an interrupt: the run stops its scenario, tears its labs down
 * and writes its reports (exit 130). SIGINT is Ctrl-C and SIGQUIT Ctrl-\ (both sent by the
 * terminal to the foreground process group, termios(3)); SIGTERM is `kill` and most
 * supervisors' stop; SIGHUP is the terminal going away — a closed window, a dropped SSH
 * session — and some CI runners' cancel (the kernel sends it to the session's foreground group
 * when its controlling terminal hangs up, credentials(7)). Left at their default action, SIGHUP
 * and SIGQUIT kill Node at once, leaving the lab for `lab gc` and no reports.
 */
export const INTERRUPT_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

/** Calls `handler` on each interrupt signal until the returned function is called. */
export function onInterruptSignals(handler: (sig: NodeJS.Signals) => void): () => void {
  for (const s of INTERRUPT_SIGNALS) process.on(s, handler);
  return () => {
    for (const s of INTERRUPT_SIGNALS) process.off(s, handler);
  };
}

const CONSOLE_GONE = new Set(['EPIPE', 'EIO', 'ECONNRESET', 'ERR_STREAM_DESTROYED']);
let consoleGuarded = false;

/**
 * After a hang-up the console is gone: writing to a terminal that hung up fails with EIO, to a
 * pipe whose reader died (`netconform run | tee log`, tee killed by the same SIGHUP) with
 * EPIPE. Unhandled, that write error kills the process mid-teardown. The run's products are its
 * files, so console output is dropped from then on and the teardown and reports go ahead.
 */
export function keepRunningWithoutConsole(): void {
  if (consoleGuarded) return;
  consoleGuarded = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (!CONSOLE_GONE.has(err.code ?? '')) throw err;
    });
  }
}
