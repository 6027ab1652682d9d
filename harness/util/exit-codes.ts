/** Exit codes of the CLI (harness/README.md "Exit codes"). */
export const ExitCode = {
  ok: 0,
  checkFailed: 1,
  usage: 2,
  environment: 3,
  /** Nothing failed, and nothing (or less than a profile's `minJudged`) was judged: no green. */
  nothingJudged: 4,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the CLI turns into a message (no stack) and an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly lines: string[] = [message],
  ) {
    super(message);
    this.name = 'CliError';
  }
}
