module karto/gooracle

go 1.19
