/**
 * A pairwise covering set: rows such that every value of every factor meets every value of every
 * other factor in at least one row. Greedy and deterministic (the same factors give the same
 * rows): each row starts from the first pair not yet covered and takes, factor by factor, the
 * value covering most new pairs with the values already chosen (ties: the first listed).
 */
export function pairwise<T extends Record<string, readonly unknown[]>>(factors: T): { [K in keyof T]: T[K][number] }[] {
  const names = Object.keys(factors);
  const sizes = names.map((n) => factors[n].length);
  const key = (f: number, v: number, g: number, w: number) => (f < g ? `${f}:${v}|${g}:${w}` : `${g}:${w}|${f}:${v}`);
  const uncovered = new Set<string>();
  for (let f = 0; f < names.length; f++)
    for (let g = f + 1; g < names.length; g++)
      for (let v = 0; v < sizes[f]; v++) for (let w = 0; w < sizes[g]; w++) uncovered.add(key(f, v, g, w));
  const rows: number[][] = [];
  while (uncovered.size > 0) {
    const [a, b] = [...uncovered][0].split('|').map((p) => p.split(':').map(Number));
    const row: (number | undefined)[] = names.map(() => undefined);
    row[a[0]] = a[1];
    row[b[0]] = b[1];
    for (let f = 0; f < names.length; f++) {
      if (row[f] !== undefined) continue;
      let best = 0;
      let bestGain = -1;
      for (let v = 0; v < sizes[f]; v++) {
        let gain = 0;
        for (let g = 0; g < names.length; g++)
          if (g !== f && row[g] !== undefined && uncovered.has(key(f, v, g, row[g]!))) gain++;
        if (gain > bestGain) [best, bestGain] = [v, gain];
      }
      row[f] = best;
    }
    const full = row as number[];
    for (let f = 0; f < names.length; f++)
      for (let g = f + 1; g < names.length; g++) uncovered.delete(key(f, full[f], g, full[g]));
    rows.push(full);
  }
  return rows.map((r) => Object.fromEntries(names.map((n, i) => [n, factors[n][r[i]]]))) as {
    [K in keyof T]: T[K][number];
  }[];
}
