'use strict';
// Prints the highest release version (x.y.z, no prerelease) from `npm view <pkg>@<range> version --json` on
// stdin, which is a string for one match, an array for several, and empty for none.
let input = '';
process.stdin.on('data', (chunk) => {
  input += chunk;
});
process.stdin.on('end', () => {
  const text = input.trim();
  const parsed = text === '' ? [] : JSON.parse(text);
  const versions = (Array.isArray(parsed) ? parsed : [parsed]).filter((v) => /^\d+\.\d+\.\d+$/.test(v));
  const key = (v) => v.split('.').map(Number);
  versions.sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  });
  if (versions.length) console.log(versions[versions.length - 1]);
});
