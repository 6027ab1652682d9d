/**
 * `--junit`: `annotated` puts file and line on each testcase (GitHub's and GitLab's annotators
 * read them); `strict` leaves them out, so junit-10.xsd (Jenkins xUnit) validates the file as
 * published. Its own module: the CLI's option list needs it without loading the reporter.
 */
export const JUNIT_FLAVOURS = ['annotated', 'strict'] as const;
export type JUnitFlavour = (typeof JUNIT_FLAVOURS)[number];
