!f64_r1 = memref<?xf64, strided<[?], offset: ?>>
module {
  func.func @optc_lion_init(%p: !f64_r1, %g: !f64_r1, %lr: f64, %beta1: f64, %beta2: f64, %weight_decay: f64) -> (memref<?xf64>, i32, i64, i64, i64, i64) attributes {llvm.emit_c_interface} {
    %c0 = arith.constant 0 : index
    %c0_i32 = arith.constant 0 : i32
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %c3 = arith.constant 3 : index
    %0 = memref.dim %p, %c0 : !f64_r1 loc("lion.opt":5:1)
    %1 = memref.dim %g, %c0 : !f64_r1 loc("lion.opt":5:1)
    %status = memref.alloca() : memref<i32> loc("lion.opt":5:1)
    memref.store %c0_i32, %status[] : memref<i32> loc("lion.opt":5:1)
    %details = memref.alloca() : memref<4xi64> loc("lion.opt":5:1)
    %2 = arith.constant 0.0 : f64 loc("lion.opt":8:13)
    %m = memref.alloc(%0) : memref<?xf64> loc("lion.opt":8:13)
    scf.for %i = %c0 to %0 step %c1 {
      memref.store %2, %m[%i] : memref<?xf64> loc("lion.opt":8:13)
    } loc("lion.opt":8:13)
    %3 = memref.load %status[] : memref<i32> loc("lion.opt":5:1)
    %4 = memref.load %details[%c0] : memref<4xi64> loc("lion.opt":5:1)
    %5 = memref.load %details[%c1] : memref<4xi64> loc("lion.opt":5:1)
    %6 = memref.load %details[%c2] : memref<4xi64> loc("lion.opt":5:1)
    %7 = memref.load %details[%c3] : memref<4xi64> loc("lion.opt":5:1)
    return %m, %3, %4, %5, %6, %7 : memref<?xf64>, i32, i64, i64, i64, i64 loc("lion.opt":5:1)
  } loc("lion.opt":5:1)

  func.func @optc_lion_step(%p: !f64_r1, %g: !f64_r1, %m: !f64_r1, %lr: f64, %beta1: f64, %beta2: f64, %weight_decay: f64, %t: i64) -> (memref<?xf64>, memref<?xf64>, i32, i64, i64, i64, i64) attributes {llvm.emit_c_interface} {
    %c0 = arith.constant 0 : index
    %c0_i32 = arith.constant 0 : i32
    %c1 = arith.constant 1 : index
    %cst_f64 = arith.constant 0.0 : f64
    %cst_f64_1 = arith.constant -1.0 : f64
    %cst_f64_2 = arith.constant 1.0 : f64
    %c2 = arith.constant 2 : index
    %c3 = arith.constant 3 : index
    %0 = memref.dim %p, %c0 : !f64_r1 loc("lion.opt":5:1)
    %1 = memref.dim %g, %c0 : !f64_r1 loc("lion.opt":5:1)
    %2 = memref.dim %m, %c0 : !f64_r1 loc("lion.opt":5:1)
    %status = memref.alloca() : memref<i32> loc("lion.opt":5:1)
    memref.store %c0_i32, %status[] : memref<i32> loc("lion.opt":5:1)
    %details = memref.alloca() : memref<4xi64> loc("lion.opt":5:1)
    %3 = arith.constant 1.0 : f64 loc("lion.opt":9:20)
    %4 = arith.subf %3, %beta1 : f64 loc("lion.opt":9:20)
    %5 = arith.subf %3, %beta2 : f64 loc("lion.opt":11:21)
    %p_next = memref.alloc(%2) : memref<?xf64> loc("lion.opt":9:7)
    %m_next = memref.alloc(%2) : memref<?xf64> loc("lion.opt":9:7)
    scf.for %i = %c0 to %2 step %c1 {
      %6 = memref.load %m[%i] : !f64_r1 loc("lion.opt":9:7)
      %7 = arith.mulf %beta1, %6 : f64 loc("lion.opt":9:7)
      %8 = memref.load %g[%i] : !f64_r1 loc("lion.opt":9:19)
      %9 = arith.mulf %4, %8 : f64 loc("lion.opt":9:19)
      %10 = arith.addf %7, %9 : f64 loc("lion.opt":9:7)
      %11 = arith.cmpf ogt, %10, %cst_f64 : f64 loc("lion.opt":10:18)
      %12 = arith.cmpf olt, %10, %cst_f64 : f64 loc("lion.opt":10:18)
      %13 = arith.cmpf uno, %10, %10 : f64 loc("lion.opt":10:18)
      %14 = arith.select %12, %cst_f64_1, %cst_f64 : f64 loc("lion.opt":10:18)
      %15 = arith.select %11, %cst_f64_2, %14 : f64 loc("lion.opt":10:18)
      %16 = arith.select %13, %10, %15 : f64 loc("lion.opt":10:18)
      %17 = memref.load %p[%i] : !f64_r1 loc("lion.opt":10:28)
      %18 = arith.mulf %weight_decay, %17 : f64 loc("lion.opt":10:28)
      %19 = arith.addf %16, %18 : f64 loc("lion.opt":10:18)
      %20 = arith.mulf %lr, %19 : f64 loc("lion.opt":10:12)
      %21 = arith.subf %17, %20 : f64 loc("lion.opt":10:8)
      %22 = arith.mulf %beta2, %6 : f64 loc("lion.opt":11:8)
      %23 = arith.mulf %5, %8 : f64 loc("lion.opt":11:20)
      %24 = arith.addf %22, %23 : f64 loc("lion.opt":11:8)
      memref.store %21, %p_next[%i] : memref<?xf64> loc("lion.opt":11:8)
      memref.store %24, %m_next[%i] : memref<?xf64> loc("lion.opt":11:8)
    } loc("lion.opt":11:8)
    %25 = memref.load %status[] : memref<i32> loc("lion.opt":5:1)
    %26 = memref.load %details[%c0] : memref<4xi64> loc("lion.opt":5:1)
    %27 = memref.load %details[%c1] : memref<4xi64> loc("lion.opt":5:1)
    %28 = memref.load %details[%c2] : memref<4xi64> loc("lion.opt":5:1)
    %29 = memref.load %details[%c3] : memref<4xi64> loc("lion.opt":5:1)
    return %p_next, %m_next, %25, %26, %27, %28, %29 : memref<?xf64>, memref<?xf64>, i32, i64, i64, i64, i64 loc("lion.opt":5:1)
  } loc("lion.opt":5:1)

  func.func @optc_lion_step_inplace(%n: index, %p: memref<?xf64>, %g: memref<?xf64>, %m: memref<?xf64>, %lr: f64, %beta1: f64, %beta2: f64, %weight_decay: f64, %t: i64) attributes {llvm.emit_c_interface} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %cst_f64 = arith.constant 0.0 : f64
    %cst_f64_1 = arith.constant -1.0 : f64
    %cst_f64_2 = arith.constant 1.0 : f64
    %0 = arith.constant 1.0 : f64 loc("lion.opt":9:20)
    %1 = arith.subf %0, %beta1 : f64 loc("lion.opt":9:20)
    %2 = arith.subf %0, %beta2 : f64 loc("lion.opt":11:21)
    scf.for %i = %c0 to %n step %c1 {
      %3 = memref.load %p[%i] : memref<?xf64> loc("lion.opt":5:1)
      %4 = memref.load %g[%i] : memref<?xf64> loc("lion.opt":5:1)
      %5 = memref.load %m[%i] : memref<?xf64> loc("lion.opt":5:1)
      %6 = arith.mulf %beta1, %5 : f64 loc("lion.opt":9:7)
      %7 = arith.mulf %1, %4 : f64 loc("lion.opt":9:19)
      %8 = arith.addf %6, %7 : f64 loc("lion.opt":9:7)
      %9 = arith.cmpf ogt, %8, %cst_f64 : f64 loc("lion.opt":10:18)
      %10 = arith.cmpf olt, %8, %cst_f64 : f64 loc("lion.opt":10:18)
      %11 = arith.cmpf uno, %8, %8 : f64 loc("lion.opt":10:18)
      %12 = arith.select %10, %cst_f64_1, %cst_f64 : f64 loc("lion.opt":10:18)
      %13 = arith.select %9, %cst_f64_2, %12 : f64 loc("lion.opt":10:18)
      %14 = arith.select %11, %8, %13 : f64 loc("lion.opt":10:18)
      %15 = arith.mulf %weight_decay, %3 : f64 loc("lion.opt":10:28)
      %16 = arith.addf %14, %15 : f64 loc("lion.opt":10:18)
      %17 = arith.mulf %lr, %16 : f64 loc("lion.opt":10:12)
      %18 = arith.subf %3, %17 : f64 loc("lion.opt":10:8)
      %19 = arith.mulf %beta2, %5 : f64 loc("lion.opt":11:8)
      %20 = arith.mulf %2, %4 : f64 loc("lion.opt":11:20)
      %21 = arith.addf %19, %20 : f64 loc("lion.opt":11:8)
      memref.store %18, %p[%i] : memref<?xf64> loc("lion.opt":5:1)
      memref.store %21, %m[%i] : memref<?xf64> loc("lion.opt":5:1)
    } loc("lion.opt":5:1)
    return loc("lion.opt":5:1)
  } loc("lion.opt":5:1)
}
