#include <iostream>

#include "geom/polygon.hpp"

int main() {
    geom::Polygon square({{0, 0}, {1, 0}, {1, 1}, {0, 1}});
    std::cout << "area " << square.area() << " of " << square.size() << " points\n";
    return 0;
}
