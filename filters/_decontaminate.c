/* Decontamination's hot path in C: a document's token hashes in one pass over its str (match form, `\w+`
 * tokens and their hashes fused, no array per character), and the first benchmark gram among them.
 *
 * The numpy path (filters/decontaminate.py `document_tokens`, `ContaminationIndex.find`) is the reference:
 * this computes the same token hashes and the same first match (tests/test_decontaminate_kernel.py compares
 * them). The rules come from Python so each has one home: ASCII is lowered and classified with the word table
 * given; every other code point is described once by the Python callable `info` (its case fold + `fold_char`,
 * its canonical combining class, whether it is NFKC's quick-check "yes") and cached here; and NFKC itself is
 * Python's, applied only to the stretches of text that need it. A stretch is one ASCII character with the
 * non-ASCII run after it: no ASCII character is the second of a composition or reordered, so NFKC of a text is
 * the concatenation of NFKC of its stretches, and a stretch whose quick check (CPython's own algorithm, on the
 * cached facts) says yes is already NFKC. Built by the package install (setup.py); filters/decontaminate.py
 * runs numpy when it is missing.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Code points below this have their facts cached in flat arrays (the BMP and the CJK extension planes). */
#define CACHED_CPS 0x30000
#define IS_WORD 0x80000000U /* set on a folded code point that `\w` matches */
#define MAX_FOLD 255
#define KNOWN 1   /* flags: the facts are cached */
#define QC_YES 2  /* flags: NFKC quick check "yes" */

static uint32_t *fold_start; /* [CACHED_CPS] offset of the fold in fold_cps */
static uint8_t *fold_len, *fold_ccc, *fold_flags;
static uint32_t *fold_cps; /* every cached fold's code points | IS_WORD */
static size_t fold_used, fold_room;
static uint64_t *out_buf; /* token hashes of the current call, reused across calls */
static size_t out_room;

typedef struct {
    uint64_t base, poly, h, power, len;
    uint64_t *out;
    size_t count;
    const char *word;
    PyObject *info, *nfkc;
} Tokens;

/* The facts of one non-ASCII code point. */
typedef struct {
    const uint32_t *cps;
    Py_ssize_t n;
    int ccc, qc_yes;
} Facts;

static inline uint64_t mix64(uint64_t h) { /* splitmix64's finaliser, as decontaminate._mix64 */
    h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ULL;
    h = (h ^ (h >> 27)) * 0x94D049BB133111EBULL;
    return h ^ (h >> 31);
}

static inline void end_token(Tokens *t) {
    if (t->len) {
        t->out[t->count++] = mix64(t->h + t->len * t->poly);
        t->h = 0, t->power = 1, t->len = 0;
    }
}

/* One code point of the match form: a word character extends the token (polynomial hash mod 2^64). */
static inline void push(Tokens *t, uint32_t cp, int word) {
    if (word) {
        t->h += (uint64_t)cp * t->power;
        t->power *= t->base;
        t->len++;
    } else {
        end_token(t);
    }
}

static inline void push_ascii(Tokens *t, unsigned c) { push(t, (c - 'A' < 26u) ? c + 32u : c, t->word[c]); }

static int reserve(Tokens *t, size_t room) {
    if (out_room < room) {
        uint64_t *grown = PyMem_Realloc(out_buf, room * sizeof(uint64_t));
        if (!grown) return PyErr_NoMemory(), -1;
        out_buf = grown, out_room = room, t->out = out_buf;
    }
    return 0;
}

static int is_word(Py_UCS4 c) { return c == '_' || Py_UNICODE_ISALNUM(c); } /* re's `\w` on str */

/* The facts of non-ASCII `cp` from `info(cp) -> (fold, ccc, qc_yes)`; `tmp` holds the fold's code points
 * when `cp` is not cached. 0, or -1 with an exception set. */
static int facts(Tokens *t, Py_UCS4 cp, Facts *f, uint32_t *tmp) {
    if (cp < CACHED_CPS && fold_flags[cp]) {
        f->cps = fold_cps + fold_start[cp], f->n = fold_len[cp];
        f->ccc = fold_ccc[cp], f->qc_yes = (fold_flags[cp] & QC_YES) != 0;
        return 0;
    }
    PyObject *r = PyObject_CallFunction(t->info, "I", (unsigned int)cp);
    if (!r) return -1;
    PyObject *s;
    int ccc, qc_yes;
    if (!PyArg_ParseTuple(r, "Uip", &s, &ccc, &qc_yes) || PyUnicode_GET_LENGTH(s) > MAX_FOLD) {
        if (!PyErr_Occurred()) PyErr_Format(PyExc_ValueError, "info(%u): a fold of at most 255 code points", cp);
        Py_DECREF(r);
        return -1;
    }
    const Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    for (Py_ssize_t i = 0; i < n; i++) {
        const Py_UCS4 c = PyUnicode_READ_CHAR(s, i);
        tmp[i] = (uint32_t)c | (is_word(c) ? IS_WORD : 0);
    }
    Py_DECREF(r);
    f->cps = tmp, f->n = n, f->ccc = ccc & 0xFF, f->qc_yes = qc_yes;
    if (cp < CACHED_CPS) {
        if (fold_used + (size_t)n > fold_room) {
            size_t room = fold_room ? 2 * fold_room : 4096;
            uint32_t *grown = PyMem_Realloc(fold_cps, room * sizeof(uint32_t));
            if (!grown) return PyErr_NoMemory(), -1;
            fold_cps = grown, fold_room = room;
        }
        memcpy(fold_cps + fold_used, tmp, (size_t)n * sizeof(uint32_t));
        fold_start[cp] = (uint32_t)fold_used, fold_len[cp] = (uint8_t)n, fold_ccc[cp] = (uint8_t)f->ccc;
        fold_flags[cp] = KNOWN | (qc_yes ? QC_YES : 0);
        fold_used += (size_t)n;
    }
    return 0;
}

/* Push the fold of non-ASCII `cp`; `left` code points of the text follow it (an expansion makes room for the
 * most tokens the rest can give: separated tokens, so m code points give at most m / 2 + 1). */
static int push_folded(Tokens *t, Py_UCS4 cp, Py_ssize_t left) {
    uint32_t tmp[MAX_FOLD];
    Facts f;
    if (facts(t, cp, &f, tmp) < 0) return -1;
    if (f.n > 1 && reserve(t, t->count + (size_t)(f.n + left) / 2 + 2) < 0) return -1;
    for (Py_ssize_t i = 0; i < f.n; i++) push(t, f.cps[i] & ~IS_WORD, (f.cps[i] & IS_WORD) != 0);
    return 0;
}

/* Push code points [start, end) of `text`, a stretch (see the top): as they are when CPython's quick check
 * says they are NFKC, else as Python's NFKC of them. */
static int push_stretch(Tokens *t, PyObject *text, int kind, const void *data, Py_ssize_t start, Py_ssize_t end,
                        Py_ssize_t left) {
    uint32_t tmp[MAX_FOLD];
    int prev_ccc = 0, normal = 1;
    for (Py_ssize_t i = start; i < end && normal; i++) {
        const Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c < 128) {
            prev_ccc = 0;
            continue;
        }
        Facts f;
        if (facts(t, c, &f, tmp) < 0) return -1;
        normal = f.qc_yes && !(f.ccc && prev_ccc > f.ccc);
        prev_ccc = f.ccc;
    }
    if (normal) {
        for (Py_ssize_t i = start; i < end; i++) {
            const Py_UCS4 c = PyUnicode_READ(kind, data, i);
            if (c < 128) push_ascii(t, c);
            else if (push_folded(t, c, left + end - i - 1) < 0) return -1;
        }
        return 0;
    }
    PyObject *piece = PyUnicode_Substring(text, start, end);
    PyObject *form = piece ? PyObject_CallOneArg(t->nfkc, piece) : NULL;
    Py_XDECREF(piece);
    if (!form) return -1;
    if (!PyUnicode_Check(form)) {
        PyErr_SetString(PyExc_TypeError, "nfkc must return a str");
        Py_DECREF(form);
        return -1;
    }
    const Py_ssize_t n = PyUnicode_GET_LENGTH(form);
    const int fkind = PyUnicode_KIND(form);
    const void *fdata = PyUnicode_DATA(form);
    int status = reserve(t, t->count + (size_t)(n + left) / 2 + 2);
    for (Py_ssize_t i = 0; i < n && status == 0; i++) {
        const Py_UCS4 c = PyUnicode_READ(fkind, fdata, i);
        if (c < 128) push_ascii(t, c);
        else status = push_folded(t, c, left + n - i - 1);
    }
    Py_DECREF(form);
    return status;
}

PyDoc_STRVAR(token_hashes_doc,
"token_hashes(text, word, info, nfkc, base, poly) -> bytes\n\n"
"The uint64 hashes (native order) of the `\\w+` tokens of the match form of `text`, equal to\n"
"decontaminate.document_tokens(text)[3]. `word` (bytes[128]): which ASCII is a word character (ASCII is\n"
"lowered); `info(cp) -> (fold, ccc, qc_yes)` for a non-ASCII code point of NFKC text: its match form (a str),\n"
"canonical combining class and NFKC quick check; `nfkc(str) -> str`. `base`: the per-token polynomial's\n"
"multiplier, `poly`: the length's multiplier.");

static PyObject *token_hashes(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *text, *info, *nfkc;
    const char *word;
    Py_ssize_t word_len;
    unsigned long long base, poly;
    if (!PyArg_ParseTuple(args, "Uy#OOKK", &text, &word, &word_len, &info, &nfkc, &base, &poly)) return NULL;
    if (word_len != 128) {
        PyErr_SetString(PyExc_ValueError, "word: 128 bytes, one flag per ASCII code point");
        return NULL;
    }
    if (!fold_start) {
        fold_start = PyMem_Calloc(CACHED_CPS, sizeof(uint32_t));
        fold_len = PyMem_Calloc(CACHED_CPS, 1);
        fold_ccc = PyMem_Calloc(CACHED_CPS, 1);
        fold_flags = PyMem_Calloc(CACHED_CPS, 1);
        if (!fold_start || !fold_len || !fold_ccc || !fold_flags) return PyErr_NoMemory();
    }
    const Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    const int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Tokens t = {base, poly, 0, 1, 0, out_buf, 0, word, info, nfkc};
    /* At most one token per two code points, except where folds expand (push_folded makes room then). */
    if (reserve(&t, (size_t)n / 2 + 1) < 0) return NULL;
    if (PyUnicode_IS_ASCII(text)) {
        const Py_UCS1 *d = data;
        for (Py_ssize_t i = 0; i < n; i++) push_ascii(&t, d[i]);
    } else {
        Py_ssize_t i = 0;
        while (i < n) {
            /* ASCII followed by ASCII needs no NFKC; else the stretch runs to the next ASCII character. */
            const Py_UCS4 c = PyUnicode_READ(kind, data, i);
            if (c < 128 && (i + 1 == n || PyUnicode_READ(kind, data, i + 1) < 128)) {
                push_ascii(&t, c);
                i++;
                continue;
            }
            Py_ssize_t end = i + 1;
            while (end < n && PyUnicode_READ(kind, data, end) >= 128) end++;
            if (push_stretch(&t, text, kind, data, i, end, n - end) < 0) return NULL;
            i = end;
        }
    }
    end_token(&t);
    PyObject *result = PyBytes_FromStringAndSize((const char *)t.out, (Py_ssize_t)(t.count * sizeof(uint64_t)));
    if (out_room > ((size_t)1 << 22)) { /* kept between calls up to 32 MB; a huge document's room is freed */
        PyMem_Free(out_buf);
        out_buf = NULL, out_room = 0;
    }
    return result;
}

static PyMethodDef methods[] = {
    {"token_hashes", token_hashes, METH_VARARGS, token_hashes_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_decontaminate", "Decontamination kernel (see filters/decontaminate.py).", -1,
    methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__decontaminate(void) { return PyModule_Create(&module); }
