export interface Row {
  label: string;
  value: number;
}

export function total(rows: Row[]): number {
  return rows.reduce((sum, row) => sum + row.value, 0);
}
