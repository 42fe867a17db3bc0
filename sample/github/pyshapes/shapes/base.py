"""The interface every shape implements."""


class Shape:
    name = "shape"

    def area(self):
        raise NotImplementedError

    def perimeter(self):
        raise NotImplementedError

    def describe(self):
        return f"{self.name} with area {self.area():.2f}"
