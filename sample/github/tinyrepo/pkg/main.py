from pkg.core import add


def main():
    print(add(1, 2))
