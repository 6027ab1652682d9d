/**
 * `--junit`: `annotated` puts file and line on each testcase (GitHub's and GitLab's annotators
 * read them); `strict` leaves them out, so junit-10.xsd (Jenkins xUnit) validates the file as
 * published. In model/ (names only): the CLI's option list needs it without loading a reporter.
 */
export const JUNIT_FLAVOURS = ['annotated', 'strict'] as const;
export type JUnitFlavour = (typeof JUNIT_FLAVOURS)[number];
