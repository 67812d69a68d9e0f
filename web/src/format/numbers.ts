const numberFormat = new Intl.NumberFormat('en');

/** 1234 -> "1,234". */
export function formatCount(value: number): string {
  return numberFormat.format(value);
}

/** "1 key", "3 keys". */
export function plural(count: number, one: string, many: string = `${one}s`): string {
  return `${formatCount(count)} ${count === 1 ? one : many}`;
}
