import { alignColumn } from './format.js';

const input = document.getElementById('input');
const output = document.getElementById('output');

document.getElementById('format').addEventListener('click', () => {
  const numbers = input.value.split('\n').filter((line) => line.trim() !== '');
  output.textContent = alignColumn(numbers.map(Number)).join('\n');
});
