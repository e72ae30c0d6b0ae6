/* Reading a one-line secret (a TURN password) from a file, so that it never shows on a command
 * line. Not a store of secrets: the caller owns the buffer and wipes it when done. */
#ifndef HIPSIP_SECRET_FILE_H
#define HIPSIP_SECRET_FILE_H

#include <stddef.h>

/* The first line of the file at path, without its line end, into out (cap bytes with the
 * NUL). Messages go to stderr as `WHO "PATH": why` (who: e.g. "hipd: --turn-pass-file"), and
 * never contain the secret. A file that group or others may access is read, with a warning.
 * Returns 0, or a negative errno with out wiped: open or read failed (that errno), -ENODATA
 * when the first line is empty, -EMSGSIZE when it has cap bytes or more. */
int secret_file_read(const char *who, const char *path, char *out, size_t cap);

#endif
