/* idcard: see idcard.h. */
#include "identity/idcard.h"

#include <string.h>

char idcard_check_char(const char *s) {
  static const int weight[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static const char map[11] = {'1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'};
  int sum = 0;
  for (int i = 0; i < 17; i++) {
    if (s[i] < '0' || s[i] > '9') return 0;
    sum += (s[i] - '0') * weight[i];
  }
  return map[sum % 11];
}

static int num(const char *s, int n) {
  int v = 0;
  for (int i = 0; i < n; i++) v = v * 10 + (s[i] - '0');
  return v;
}

int idcard_valid(const char *id, const char **why) {
  const char *dummy;
  if (!why) why = &dummy;
  if (strlen(id) != 18) {
    *why = "身份证号应为 18 位";
    return 0;
  }
  char c = idcard_check_char(id);
  if (!c) {
    *why = "身份证号前 17 位应为数字";
    return 0;
  }
  int y = num(id + 6, 4), m = num(id + 10, 2), d = num(id + 12, 2);
  static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (y < 1900 || y > 2099 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] || (m == 2 && d == 29 && !leap)) {
    *why = "身份证号中的出生日期无效";
    return 0;
  }
  char last = id[17] == 'x' ? 'X' : id[17];
  if (last != c) {
    *why = "身份证号校验位错误";
    return 0;
  }
  return 1;
}

void idcard_normalize(const char *id, char out[19]) {
  size_t i = 0;
  for (; id[i] && i < 18; i++) out[i] = id[i] == 'x' ? 'X' : id[i];
  out[i] = 0;
}
