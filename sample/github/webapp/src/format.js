// Round to two decimals and pad so the decimal points line up.
export function alignColumn(values) {
  const texts = values.map((v) => v.toFixed(2));
  const width = Math.max(...texts.map((t) => t.length));
  return texts.map((t) => t.padStart(width, ' '));
}
