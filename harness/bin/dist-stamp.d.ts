/** Why `${root}/dist` cannot be used, or undefined when it is fresh (./dist-stamp.js). */
export function staleReason(root: string): string | undefined;
