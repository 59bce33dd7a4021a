package playbooks_test

import (
	"fmt"

	"github.com/impactchat/impactchat/examples/playbooks"
)

func ExampleLoad() {
	lib, err := playbooks.Load("newcomer-settlement.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(lib.Entry(), lib.IDs())
	// Output:
	// newcomer-settlement [newcomer-settlement feedback-survey]
}

func ExampleRefugeeInfo() {
	lib, err := playbooks.RefugeeInfo()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(lib.Entry(), lib.IDs())
	// Output:
	// refugee-info [refugee-info feedback-survey]
}
