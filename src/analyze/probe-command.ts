/**
 * The exact `gwctl probe` command that fetches the chain an upstream serves, as a user can paste
 * it into a POSIX shell: words made only of safe characters stay bare, anything else is quoted.
 */
export function probeCommand(specArg: string, upstream: string): string {
  return ['gwctl', 'probe', specArg, '--upstream', upstream, '--save'].map(shellWord).join(' ');
}

export function shellWord(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
