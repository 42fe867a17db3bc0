package main

import (
	"fmt"
	"os"

	"example.com/gotools/strutil"
)

func main() {
	for _, arg := range os.Args[1:] {
		fmt.Println(strutil.Reverse(arg))
	}
}
