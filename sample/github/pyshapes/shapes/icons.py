"""Icons embedded as base64 PNG data, so the package needs no data files."""

import base64

LOGO_PNG_BASE64 = 'CFCrqu8XrcLtdM9xzzSA1cR6oOpylga9tlvMtf7Z1exTpe0dhrPo+yPAmzzv8IzGTQwcc78yhQztvTgPqaJ/ovYVtIDFKNp8gEc/bSx0HrD5Jm7ocjMWCpAeqIRDPqR/JzHgMtMEFYHsmW5S//wBoz5ahIQt+kYrL4zy+C3ForDxoIgyCM8DPS9lM6PNKIyLZ94ky1PpL3YWthhqXjU+16hIZj7lLZ1PLDUuDgFWGHeyl/00GaM+cNl04gf+nf17Wi9VHax0sbKQTNEw2d2mESjN21610lusG59eBkjkbYR0+ZP1TNsKPcGU/VcB1XuaQ8ssjZEsi9wh+p6TyWTT6Y9KGP+3W1UOL57LiDlGA7yI6JIB3QrdVBlZrxWN58jOISdaCMfCWkDGD2sHOviJrO86QJjoq3FRJ0MM7X7uzjv1gPUmdfljuAduKanCpjUG1p8bmxpmIn2Fg4RQTtnsEX16JV6w0kdpBsIbt7pKwyTHgM7pkz8KeV4hSDLfLhwcuXcX8LPTJXcfyawkjo9OXUmamI/VHT1AXLxlZ/W6lt9T1CliT0aIc9Zdu5MBcnOpm7tgKVm18Ddoc4bL58mTjR7Si5jrr3A8LuVVeQwKWyvgSrzqDk1xMAQVifS87Snu8qSPeql3Z5g7p4mZIR+v/COWVqD7fDa96D35nEHQuv3q0ZmCSXjE63NObrXQl3+MYHgvVnQrLQTkb9vKHUViIZCNEq9SacSSBdXbGX9EVTAs8hHRjBo3O+FKlCmupNDyQ5SP5LAUVnmYvPyMn/kDThIXzt0XQIPqy1n8il7iMs0+xMmRJOR0NF+ZNpC7gaFBhQ0ztR/A09zlXdTks6BOCqyTbNSUdkCgBhfzX59k9PFJCjdoCoVyONJYEuc1ivRg2X6IwA4D3GHRZayf0hevsiNdFYTM4WNhr7ypDVXUJkbLpKhE8RsP2j1DteMF8xqkovMz0274eScmduui6f3JpPGB096jrWjcD+tA4PVBS+6ZRhl6pjMq3IM+2vRX4KJAi91NLXnOYFfjRmMdcTqHte+Z88GWtooE4GZwXxvx8O/jGLuFb0wbDpG/mJl7dvn4X0LYA6u49ZaAFInXjF7uu764porYLGMBfrb0gbXvO/SUnhd13xV5a0eBPsH4PmX68RRp8Ejt2YM1KMAs8wLxMD4Jecv7p0jV1lppnAQf6BeSVfJ/japt19he0NfiWdFfG/739UCIthyOVo1dRQnC6pM2bWsc3RngN13YZOPz3ahHJKyFvmkYs7xWjtvDOVxcRe6qcpZlc438AINthiWpXHy43UnihVB3gyT5O1SLzcE/hbDEWxpXuIt8NRCZdAXTD49BQvMYa3uHs0aHTnatv8oMkWAGMcVW4APZaus5hew93MYEfHDU9Qw7NAMW2IJbougItzO0iJbAc7KdldySYftLcp26V3QhLLbACy6lt1FzNG/3U1n03G3DSCby9HZymb0p/ZlgZ77Z22wPxS6FdA=='


def logo_png():
    """The logo as PNG bytes."""
    return base64.b64decode(LOGO_PNG_BASE64)


def circle_icon(size=16):
    """A circle icon of `size` pixels, drawn from the logo palette."""
    return {'shape': 'circle', 'size': size, 'palette': logo_png()[:4]}


def square_icon(size=16):
    """A square icon of `size` pixels, drawn from the logo palette."""
    return {'shape': 'square', 'size': size, 'palette': logo_png()[:4]}


def triangle_icon(size=16):
    """A triangle icon of `size` pixels, drawn from the logo palette."""
    return {'shape': 'triangle', 'size': size, 'palette': logo_png()[:4]}


def hexagon_icon(size=16):
    """A hexagon icon of `size` pixels, drawn from the logo palette."""
    return {'shape': 'hexagon', 'size': size, 'palette': logo_png()[:4]}


def ellipse_icon(size=16):
    """A ellipse icon of `size` pixels, drawn from the logo palette."""
    return {'shape': 'ellipse', 'size': size, 'palette': logo_png()[:4]}


def polygon_icon(size=16):
    """A polygon icon of `size` pixels, drawn from the logo palette."""
    return {'shape': 'polygon', 'size': size, 'palette': logo_png()[:4]}


def star_icon(size=16):
    """A star icon of `size` pixels, drawn from the logo palette."""
    return {'shape': 'star', 'size': size, 'palette': logo_png()[:4]}


def arrow_icon(size=16):
    """A arrow icon of `size` pixels, drawn from the logo palette."""
    return {'shape': 'arrow', 'size': size, 'palette': logo_png()[:4]}
