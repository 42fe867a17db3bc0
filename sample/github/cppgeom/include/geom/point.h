#pragma once

namespace geom {

struct Point {
    double x = 0;
    double y = 0;
};

class Vector2 {
public:
    Vector2(double x, double y) : x_(x), y_(y) {}
    double cross(const Vector2 &o) const { return x_ * o.y_ - y_ * o.x_; }

private:
    double x_, y_;
};

}  // namespace geom
