/**
 * Why a file in the bundle could not be read. Every reader throws this (never a bare Error), so
 * the scenario can turn bad input into an `error` check naming the file and the fault, and
 * decide what to do by `code`, never by message text.
 */
export type BundleInputCode =
  | 'not-a-bundle' // the path is missing, not a folder, or has no Contents/Info.plist
  | 'unreadable' // open/read failed (permissions, a dangling link, …)
  | 'too-large' // over the reader's size cap: refused rather than read
  | 'plist-malformed' // not a well-formed XML or binary property list, or the wrong top-level type
  | 'not-macho' // no Mach-O or fat magic at offset 0
  | 'macho-malformed' // a header, load command or fat table that does not fit the file
  | 'signature-malformed' // a code-signature SuperBlob whose lengths/offsets are impossible
  | 'profile-malformed'; // embedded.provisionprofile is not CMS SignedData carrying a plist

export class BundleInputError extends Error {
  override readonly name = 'BundleInputError';
  constructor(
    readonly code: BundleInputCode,
    /** The file (or folder) at fault. */
    readonly file: string,
    /** What is wrong with it, one line. */
    readonly detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}
