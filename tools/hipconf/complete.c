/* hipconf --complete: completion candidates from the verb table and its synopses (and HITs
 * from hipd where one is expected), for hipconf.bash-completion. Not the bash side. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hipconf.h"

#define COMPLETE_TIMEOUT_MS 1000 /* a hung hipd must not hang the shell */

static int verb_words(const struct verb *v)
{
	int n = 0;

	while (n < CLI_MAX_WORDS && v->cli.words[n])
		n++;
	return n;
}

/* Drops options (and the value of --socket, --hosts and --fault) from the typed words; keeps
 * the last word, the one being completed. Takes --socket's and --hosts' values for the HITs. */
static int strip_options(struct hipconf *hc, int argc, char **words, char **out)
{
	int n = 0;

	for (int i = 0; i < argc - 1; i++) {
		if (strcmp(words[i], "--socket") == 0 && i + 1 < argc - 1) {
			hc->cli.socket = words[++i];
			continue;
		}
		if (strcmp(words[i], "--hosts") == 0 && i + 1 < argc - 1) {
			arg_hosts_file(words[++i]);
			continue;
		}
		if (strcmp(words[i], "--fault") == 0 && i + 1 < argc - 1) {
			i++;
			continue;
		}
		if (words[i][0] != '-')
			out[n++] = words[i];
	}
	return n;
}

static void print_list(const char *const *list)
{
	for (int i = 0; list[i]; i++)
		printf("%s\n", list[i]);
}

/* The next word of the verbs whose first n words are typed[0..n) (each once, in order). */
static void next_words(const struct verb *verbs, size_t nv, int n, char **typed)
{
	for (size_t i = 0; i < nv; i++) {
		const struct verb *v = &verbs[i];
		int k = 0;

		if (verb_words(v) <= n)
			continue;
		while (k < n && strcmp(v->cli.words[k], typed[k]) == 0)
			k++;
		if (k < n)
			continue;
		bool seen = false; /* an earlier row offered it already */
		for (size_t j = 0; j < i && !seen; j++) {
			const struct verb *u = &verbs[j];
			int m = 0;
			while (m <= n && m < verb_words(u) &&
			       strcmp(u->cli.words[m], v->cli.words[m]) == 0)
				m++;
			seen = m > n;
		}
		if (!seen)
			printf("%s\n", v->cli.words[n]);
	}
}

static bool listed(const json_t *seen, const char *hit)
{
	size_t i;
	json_t *v;

	json_array_foreach(seen, i, v) if (strcmp(json_string_value(v), hit) == 0) return true;
	return false;
}

/* HITs hipd knows, each once: our identities for "del hi", else peers (associations, maps). */
static void print_hits(struct hipconf *hc, bool own)
{
	static const char *const peer_cmds[][2] = {{"get-ha", "associations"}, {"get-map", "maps"}};
	json_t *reply, *o, *seen = json_array();
	size_t i;

	hc->cli.json = false;
	hc->cli.timeout_ms = COMPLETE_TIMEOUT_MS;
	for (size_t c = 0; c < (own ? 1u : 2u); c++) {
		const char *cmd = own ? "get-hi" : peer_cmds[c][0];
		const char *list = own ? "identities" : peer_cmds[c][1];
		if (hipconf_call(hc, json_pack("{s:s}", "cmd", cmd), &reply) || !reply)
			continue;
		json_array_foreach(json_object_get(reply, list), i, o)
		{
			const char *hit = json_string_value(json_object_get(
			    o, json_object_get(o, "peer_hit") ? "peer_hit" : "hit"));
			if (!hit || listed(seen, hit))
				continue;
			printf("%s\n", hit);
			json_array_append_new(seen, json_string(hit));
		}
		json_decref(reply);
	}
	json_decref(seen);
}

/* One alternative of a synopsis word: a keyword is offered as it is; placeholders by kind. */
static void print_alternative(struct hipconf *hc, const struct verb *v, const char *alt)
{
	if (strcmp(alt, "HIT") == 0 && v->run == verb_del_hi)
		print_hits(hc, true);
	else if (strcmp(alt, "HIT") == 0) {
		print_hits(hc, false);
		arg_print_host_names();
	} else if (strcmp(alt, "LEVEL") == 0)
		print_list(debug_levels);
	else if (strcmp(alt, "FILE") == 0 || strcmp(alt, "PASSFILE") == 0)
		printf(":file\n");
	else if (alt[0] >= 'a' && alt[0] <= 'z')
		printf("%s\n", alt);
}

/* The synopsis word for argument index arg ("[HIT...]" repeats), without brackets. */
static int synopsis_word(const char *syn, int arg, char *buf, size_t len)
{
	char copy[256], *save, *w, *last = NULL;
	int i = 0;

	snprintf(copy, sizeof(copy), "%s", syn);
	for (w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save), i++) {
		last = w;
		if (i == arg)
			break;
	}
	if (!w && !(last && strstr(last, "...")))
		return -1;
	w = w ? w : last;
	w += strspn(w, "[");
	snprintf(buf, len, "%.*s", (int)strcspn(w, "]."), w);
	return 0;
}

static void arguments(struct hipconf *hc, const struct verb *v, int arg)
{
	char word[128], *save;

	if (arg >= v->cli.max_args || synopsis_word(v->cli.synopsis, arg, word, sizeof(word)))
		return;
	for (char *alt = strtok_r(word, "|", &save); alt; alt = strtok_r(NULL, "|", &save))
		print_alternative(hc, v, alt);
}

int hipconf_complete(struct hipconf *hc, const struct verb *verbs, size_t n, int argc, char **words)
{
	char **typed = calloc((size_t)argc + 1, sizeof(*typed));
	int nt;

	if (!typed)
		return CTL_EXIT_PROTO;
	if (!freopen("/dev/null", "w", stderr)) /* no messages in the middle of a command line */
		fclose(stderr);
	if (argc > 0 && words[argc - 1][0] == '-') {
		print_list(hipconf_long_options);
		free(typed);
		return CTL_EXIT_OK;
	}
	nt = argc > 0 ? strip_options(hc, argc, words, typed) : 0;
	for (size_t i = 0; i < n; i++) {
		int k = verb_words(&verbs[i]), m = 0;
		while (m < k && m < nt && strcmp(verbs[i].cli.words[m], typed[m]) == 0)
			m++;
		if (m == k) { /* the whole verb is typed: its arguments */
			arguments(hc, &verbs[i], nt - k);
			free(typed);
			return CTL_EXIT_OK;
		}
	}
	next_words(verbs, n, nt, typed);
	free(typed);
	return CTL_EXIT_OK;
}
