/**
 * The one median of the lab's reports and benches: the mean of the two middle values for an even count
 * (soaks and benches often run an even number of times), undefined values and NaN left out.
 */
export function median(values: ReadonlyArray<number | undefined>): number | undefined {
  const s = values.filter((v): v is number => v !== undefined && Number.isFinite(v)).sort((a, b) => a - b);
  if (s.length === 0) return undefined;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}
