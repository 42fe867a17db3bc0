#pragma once

#include <vector>

#include "geom/point.h"

namespace geom {

class Polygon {
public:
    explicit Polygon(std::vector<Point> points) : points_(std::move(points)) {}
    double area() const;
    std::size_t size() const { return points_.size(); }

private:
    std::vector<Point> points_;
};

}  // namespace geom
