#include "geom/polygon.hpp"

#include <cmath>

namespace geom {

// Shoelace formula.
double Polygon::area() const {
    double twice = 0;
    for (std::size_t i = 0; i < points_.size(); ++i) {
        const Point &a = points_[i];
        const Point &b = points_[(i + 1) % points_.size()];
        twice += a.x * b.y - b.x * a.y;
    }
    return std::abs(twice) / 2;
}

}  // namespace geom
