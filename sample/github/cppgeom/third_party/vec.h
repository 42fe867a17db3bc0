#ifndef VEC_H
#define VEC_H
#include <stddef.h>
struct vec { double *data; size_t len; size_t cap; };
int vec_init(struct vec *v, size_t capacity);
int vec_push(struct vec *v, double value);
double vec_sum(const struct vec *v);
void vec_free(struct vec *v);
#endif
