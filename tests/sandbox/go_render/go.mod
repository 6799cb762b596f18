module karto/gorender

go 1.19
