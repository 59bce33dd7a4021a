package flowtest_test

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/impactchat/impactchat/flow"
	"github.com/impactchat/impactchat/flow/flowtest"
)

// A script plays a conversation without a channel or a store, as the
// playbook command's try does.
func ExampleConversation_Script() {
	pb, err := flow.Parse("office.yaml", []byte(`playbook: office
version: 1
languages: [en]
nodes:
  - id: city
    ask: In which city are you?
    choices:
      - {id: quito, title: Quito}
      - {id: cuenca, title: Cuenca}
    save: city
    next: bye
  - id: bye
    end: "Our {{city}} office is open on weekdays."
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	lib, err := flow.NewLibrary(pb)
	if err != nil {
		fmt.Println(err)
		return
	}
	c := flowtest.New(lib, time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	script := "hello\nsomewhere\n!tap cuenca\n"
	if err := c.Script(strings.NewReader(script), os.Stdout); err != nil {
		fmt.Println(err)
	}
	// Output:
	// > hello
	//   [playbook office v1]
	// < In which city are you?
	//      1. Quito
	//      2. Cuenca
	// > somewhere
	// < Sorry, I did not understand. Please tap one of the options, or type its number.
	//
	//   In which city are you?
	//      1. Quito
	//      2. Cuenca
	// > !tap cuenca
	//   [saved city = "cuenca"]
	// < Our cuenca office is open on weekdays.
	//   [end]
}
