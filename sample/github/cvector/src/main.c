#include <stdio.h>
#include <stdlib.h>

#include "vec.h"

int main(int argc, char **argv)
{
    struct vec v;
    if (vec_init(&v, 8) != 0)
        return 1;
    for (int i = 1; i < argc; i++)
        vec_push(&v, atof(argv[i]));
    printf("sum %g of %zu values\n", vec_sum(&v), v.len);
    vec_free(&v);
    return 0;
}
