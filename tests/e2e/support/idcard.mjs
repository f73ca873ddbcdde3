// GB 11643 check character, so that tests build valid mainland ID numbers themselves (an
// independent implementation from src/identity/idcard.c, which it thereby cross-checks).
export function idNumber(body17) {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let s = 0;
  for (let i = 0; i < 17; i++) s += Number(body17[i]) * w[i];
  return body17 + '10X98765432'[s % 11];
}
