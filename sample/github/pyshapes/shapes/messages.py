"""User-facing help strings, one per shape."""
HELP_CIRCLE = 'The circle command draws a circle on the current canvas using the active pen, fill colour and line width; pass --scale to resize the circle and --at to move its centre.'
HELP_SQUARE = 'The square command draws a square on the current canvas using the active pen, fill colour and line width; pass --scale to resize the square and --at to move its centre.'
HELP_TRIANGLE = 'The triangle command draws a triangle on the current canvas using the active pen, fill colour and line width; pass --scale to resize the triangle and --at to move its centre.'
HELP_HEXAGON = 'The hexagon command draws a hexagon on the current canvas using the active pen, fill colour and line width; pass --scale to resize the hexagon and --at to move its centre.'
HELP_ELLIPSE = 'The ellipse command draws a ellipse on the current canvas using the active pen, fill colour and line width; pass --scale to resize the ellipse and --at to move its centre.'
HELP_POLYGON = 'The polygon command draws a polygon on the current canvas using the active pen, fill colour and line width; pass --scale to resize the polygon and --at to move its centre.'
HELP_STAR = 'The star command draws a star on the current canvas using the active pen, fill colour and line width; pass --scale to resize the star and --at to move its centre.'
HELP_ARROW = 'The arrow command draws a arrow on the current canvas using the active pen, fill colour and line width; pass --scale to resize the arrow and --at to move its centre.'
