/* idcard: the resident identity number of GB 11643-1999 (18 characters, ISO 7064 MOD 11-2). */
#ifndef TUCAI_IDENTITY_IDCARD_H
#define TUCAI_IDENTITY_IDCARD_H

/* The check character ('0'-'9' or 'X') for the first 17 digits, or 0 if they are not digits. */
char idcard_check_char(const char *first17);
/* 1 when `id` is 18 characters, 17 digits, a plausible birth date (1900-2099) and the right check
 * character (a lower-case 'x' is accepted); 0 otherwise, with a Chinese reason in *why. */
int idcard_valid(const char *id, const char **why);
/* Copies id upper-cased into out (19 bytes). */
void idcard_normalize(const char *id, char out[19]);

#endif
