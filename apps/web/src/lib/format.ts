/** Dollars: up to four decimals below $1 (agent spend is often fractions of a cent), at least two. */
export function usd(n: number | null | undefined): string {
  if (n === null || n === undefined) return "—";
  if (n === 0 || Math.abs(n) >= 1) return `$${n.toFixed(2)}`;
  return `$${n
    .toFixed(4)
    .replace(/(\.\d\d\d?)0+$/, "$1")
    .replace(/(\.\d\d)0$/, "$1")}`;
}

export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? "—" : Math.round(n).toLocaleString("en-US");
}

export function percent(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? "—" : `${Math.round(rate * 100)} %`;
}

export function timeOf(at: number): string {
  return new Date(at).toLocaleTimeString();
}

export function dateTimeOf(at: number): string {
  return new Date(at).toLocaleString();
}

/** A count with its noun in the right number: "1 file", "2 files", "1,024 rows". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${Math.round(n) === 1 ? one : many}`;
}
