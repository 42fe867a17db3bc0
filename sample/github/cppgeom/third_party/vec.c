/* Vendored from cvector. */
#include <stdlib.h>
#include <string.h>

#include "vec.h"

int vec_init(struct vec *v, size_t capacity)
{
    v->data = malloc(capacity * sizeof(double));
    if (v->data == NULL)
        return -1;
    v->len = 0;
    v->cap = capacity;
    return 0;
}

int vec_push(struct vec *v, double value)
{
    if (v->len == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 4;
        double *data = realloc(v->data, cap * sizeof(double));
        if (data == NULL)
            return -1;
        v->data = data;
        v->cap = cap;
    }
    v->data[v->len++] = value;
    return 0;
}

double vec_sum(const struct vec *v)
{
    double total = 0.0;
    for (size_t i = 0; i < v->len; i++)
        total += v->data[i];
    return total;
}

void vec_free(struct vec *v)
{
    free(v->data);
    memset(v, 0, sizeof(*v));
}
