!f32_r1 = memref<?xf32, strided<[?], offset: ?>>
!f32_r2 = memref<?x?xf32, strided<[?, ?], offset: ?>>
module {
  func.func private @optc_progress_1(i64, i64, f64) -> i32
  func.func @optc_power_iteration(%A: !f32_r2, %tol: f32, %max_iter: i64, %report: i1) -> (f32, memref<?xf32>, i64, i1, memref<?xf32>, i32, i64, i64, i64, i64) attributes {llvm.emit_c_interface} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c0_i32 = arith.constant 0 : i32
    %c1_i32 = arith.constant 1 : i32
    %c64 = arith.constant 64 : index
    %c0_i64 = arith.constant 0 : i64
    %false = arith.constant false
    %true = arith.constant true
    %cst_f32 = arith.constant 0.0 : f32
    %c1_i64 = arith.constant 1 : i64
    %c2 = arith.constant 2 : index
    %c2_i32 = arith.constant 2 : i32
    %c3 = arith.constant 3 : index
    %0 = memref.dim %A, %c0 : !f32_r2 loc("power.opt":5:1)
    %1 = memref.dim %A, %c1 : !f32_r2 loc("power.opt":5:1)
    %status = memref.alloca() : memref<i32> loc("power.opt":5:1)
    memref.store %c0_i32, %status[] : memref<i32> loc("power.opt":5:1)
    %details = memref.alloca() : memref<4xi64> loc("power.opt":5:1)
    %2 = arith.index_cast %0 : index to i64 loc("power.opt":6:18)
    %3 = arith.constant 1.0 : f32 loc("power.opt":6:13)
    %4 = arith.index_cast %2 : i64 to index loc("power.opt":6:13)
    %5 = arith.cmpi slt, %4, %c0 : index loc("power.opt":6:13)
    %6 = arith.maxsi %4, %c0 : index loc("power.opt":6:13)
    %7 = memref.load %status[] : memref<i32> loc("power.opt":6:13)
    %8 = arith.cmpi eq, %7, %c0_i32 : i32 loc("power.opt":6:13)
    %9 = arith.andi %5, %8 : i1 loc("power.opt":6:13)
    %10 = arith.select %9, %c1_i32, %7 : i32 loc("power.opt":6:13)
    memref.store %10, %status[] : memref<i32> loc("power.opt":6:13)
    %11 = memref.load %details[%c0] : memref<4xi64> loc("power.opt":6:13)
    %12 = arith.select %9, %2, %11 : i64 loc("power.opt":6:13)
    memref.store %12, %details[%c0] : memref<4xi64> loc("power.opt":6:13)
    %13 = memref.alloc(%6) : memref<?xf32> loc("power.opt":6:13)
    scf.for %i = %c0 to %6 step %c1 {
      memref.store %3, %13[%i] : memref<?xf32> loc("power.opt":6:13)
    } loc("power.opt":6:13)
    %14 = arith.sitofp %2 : i64 to f32 loc("power.opt":6:23)
    %15 = math.sqrt %14 : f32 loc("power.opt":6:23)
    %16 = arith.constant 0.0 : f32 loc("power.opt":7:22)
    %17 = arith.constant 0 : i64 loc("power.opt":9:12)
    %v = memref.alloc(%6) : memref<?xf32> loc("power.opt":6:13)
    scf.for %i_1 = %c0 to %6 step %c1 {
      %18 = memref.load %13[%i_1] : memref<?xf32> loc("power.opt":6:13)
      %19 = arith.divf %18, %15 : f32 loc("power.opt":6:13)
      memref.store %19, %v[%i_1] : memref<?xf32> loc("power.opt":6:13)
    } loc("power.opt":6:13)
    %trace = memref.alloc(%c64) : memref<?xf32> loc("power.opt":9:3)
    %20 = arith.subi %max_iter, %17 : i64 loc("power.opt":9:3)
    %21 = arith.maxsi %20, %c0_i64 : i64 loc("power.opt":9:3)
    %22:4 = scf.while (%23 = %17, %24 = %16, %25 = %trace, %26 = %false) : (i64, f32, memref<?xf32>, i1) -> (i64, f32, memref<?xf32>, i1) {
      %27 = arith.cmpi slt, %23, %max_iter : i64 loc("power.opt":9:3)
      %28 = arith.xori %26, %true : i1 loc("power.opt":9:3)
      %29 = arith.andi %27, %28 : i1 loc("power.opt":9:3)
      %30 = memref.load %status[] : memref<i32> loc("power.opt":9:3)
      %31 = arith.cmpi eq, %30, %c0_i32 : i32 loc("power.opt":9:3)
      %32 = arith.andi %29, %31 : i1 loc("power.opt":9:3)
      scf.condition(%32) %23, %24, %25, %26 : i64, f32, memref<?xf32>, i1 loc("power.opt":9:3)
    } do {
    ^bb0(%33: i64, %34: f32, %35: memref<?xf32>, %36: i1):
      %w = memref.alloc(%0) : memref<?xf32> loc("power.opt":10:9)
      scf.for %i_2 = %c0 to %0 step %c1 {
        %37 = scf.for %i_3 = %c0 to %1 step %c1 iter_args(%38 = %cst_f32) -> (f32) {
          %39 = memref.load %A[%i_2, %i_3] : !f32_r2 loc("power.opt":10:9)
          %40 = memref.load %v[%i_3] : memref<?xf32> loc("power.opt":10:9)
          %41 = arith.mulf %39, %40 : f32 loc("power.opt":10:9)
          %42 = arith.addf %38, %41 : f32 loc("power.opt":10:9)
          scf.yield %42 : f32 loc("power.opt":10:9)
        } loc("power.opt":10:9)
        memref.store %37, %w[%i_2] : memref<?xf32> loc("power.opt":10:9)
      } loc("power.opt":10:9)
      %43 = memref.alloc(%0) : memref<?xf32> loc("power.opt":11:14)
      scf.for %i_4 = %c0 to %0 step %c1 {
        %44 = memref.load %w[%i_4] : memref<?xf32> loc("power.opt":11:14)
        %45 = arith.mulf %44, %44 : f32 loc("power.opt":11:14)
        memref.store %45, %43[%i_4] : memref<?xf32> loc("power.opt":11:14)
      } loc("power.opt":11:14)
      %46 = scf.for %i_5 = %c0 to %0 step %c1 iter_args(%47 = %cst_f32) -> (f32) {
        %48 = memref.load %43[%i_5] : memref<?xf32> loc("power.opt":11:14)
        %49 = arith.addf %47, %48 : f32 loc("power.opt":11:14)
        scf.yield %49 : f32 loc("power.opt":11:14)
      } loc("power.opt":11:14)
      %50 = math.sqrt %46 : f32 loc("power.opt":11:14)
      %v_next = memref.alloc(%0) : memref<?xf32> loc("power.opt":11:10)
      scf.for %i_6 = %c0 to %0 step %c1 {
        %51 = memref.load %w[%i_6] : memref<?xf32> loc("power.opt":11:10)
        %52 = arith.divf %51, %50 : f32 loc("power.opt":11:10)
        memref.store %52, %v_next[%i_6] : memref<?xf32> loc("power.opt":11:10)
      } loc("power.opt":11:10)
      %53 = memref.alloc(%0) : memref<?xf32> loc("power.opt":12:27)
      scf.for %i_7 = %c0 to %0 step %c1 {
        %54 = scf.for %i_8 = %c0 to %1 step %c1 iter_args(%55 = %cst_f32) -> (f32) {
          %56 = memref.load %A[%i_7, %i_8] : !f32_r2 loc("power.opt":12:27)
          %57 = memref.load %v_next[%i_8] : memref<?xf32> loc("power.opt":12:27)
          %58 = arith.mulf %56, %57 : f32 loc("power.opt":12:27)
          %59 = arith.addf %55, %58 : f32 loc("power.opt":12:27)
          scf.yield %59 : f32 loc("power.opt":12:27)
        } loc("power.opt":12:27)
        memref.store %54, %53[%i_7] : memref<?xf32> loc("power.opt":12:27)
      } loc("power.opt":12:27)
      %60 = scf.for %i_9 = %c0 to %0 step %c1 iter_args(%61 = %cst_f32) -> (f32) {
        %62 = memref.load %v_next[%i_9] : memref<?xf32> loc("power.opt":12:19)
        %63 = memref.load %53[%i_9] : memref<?xf32> loc("power.opt":12:19)
        %64 = arith.mulf %62, %63 : f32 loc("power.opt":12:19)
        %65 = arith.addf %61, %64 : f32 loc("power.opt":12:19)
        scf.yield %65 : f32 loc("power.opt":12:19)
      } loc("power.opt":12:19)
      %66 = arith.subf %60, %34 : f32 loc("power.opt":9:34)
      %67 = math.absf %66 : f32 loc("power.opt":9:30)
      %68 = math.absf %60 : f32 loc("power.opt":9:69)
      %69 = arith.mulf %tol, %68 : f32 loc("power.opt":9:63)
      %70 = arith.cmpf ole, %67, %69 : f32 loc("power.opt":9:30)
      scf.for %i_10 = %c0 to %6 step %c1 {
        %71 = memref.load %v_next[%i_10] : memref<?xf32> loc("power.opt":9:3)
        memref.store %71, %v[%i_10] : memref<?xf32> loc("power.opt":9:3)
      } loc("power.opt":9:3)
      %72 = arith.subi %33, %17 : i64 loc("power.opt":9:3)
      %73 = arith.addi %72, %c1_i64 : i64 loc("power.opt":9:3)
      %74 = arith.index_cast %73 : i64 to index loc("power.opt":9:3)
      %75 = memref.dim %35, %c0 : memref<?xf32> loc("power.opt":9:3)
      %76 = arith.cmpi sgt, %74, %75 : index loc("power.opt":9:3)
      %77 = scf.if %76 -> (memref<?xf32>) {
        %78 = arith.muli %75, %c2 : index loc("power.opt":9:3)
        %79 = memref.alloc(%78) : memref<?xf32> loc("power.opt":9:3)
        scf.for %i_11 = %c0 to %75 step %c1 {
          %80 = memref.load %35[%i_11] : memref<?xf32> loc("power.opt":9:3)
          memref.store %80, %79[%i_11] : memref<?xf32> loc("power.opt":9:3)
        } loc("power.opt":9:3)
        memref.dealloc %35 : memref<?xf32> loc("power.opt":9:3)
        scf.yield %79 : memref<?xf32> loc("power.opt":9:3)
      } else {
        scf.yield %35 : memref<?xf32> loc("power.opt":9:3)
      } loc("power.opt":9:3)
      %81 = arith.subi %74, %c1 : index loc("power.opt":9:3)
      memref.store %60, %77[%81] : memref<?xf32> loc("power.opt":9:3)
      %82 = arith.extf %60 : f32 to f64 loc("power.opt":9:3)
      scf.if %report {
        %83 = func.call @optc_progress_1(%73, %21, %82) : (i64, i64, f64) -> i32 loc("power.opt":9:3)
        %84 = arith.cmpi ne, %83, %c0_i32 : i32 loc("power.opt":9:3)
        %85 = memref.load %status[] : memref<i32> loc("power.opt":9:3)
        %86 = arith.cmpi eq, %85, %c0_i32 : i32 loc("power.opt":9:3)
        %87 = arith.andi %84, %86 : i1 loc("power.opt":9:3)
        %88 = arith.select %87, %c2_i32, %85 : i32 loc("power.opt":9:3)
        memref.store %88, %status[] : memref<i32> loc("power.opt":9:3)
      } loc("power.opt":9:3)
      memref.dealloc %w : memref<?xf32> loc("power.opt":9:3)
      memref.dealloc %43 : memref<?xf32> loc("power.opt":9:3)
      memref.dealloc %v_next : memref<?xf32> loc("power.opt":9:3)
      memref.dealloc %53 : memref<?xf32> loc("power.opt":9:3)
      %89 = arith.addi %33, %c1_i64 : i64 loc("power.opt":9:3)
      scf.yield %89, %60, %77, %70 : i64, f32, memref<?xf32>, i1 loc("power.opt":9:3)
    } loc("power.opt":9:3)
    %90 = arith.subi %22#0, %17 : i64 loc("power.opt":9:3)
    %91 = arith.index_cast %90 : i64 to index loc("power.opt":9:3)
    %92 = memref.dim %22#2, %c0 : memref<?xf32> loc("power.opt":9:3)
    %93 = memref.cast %22#2 : memref<?xf32> to !f32_r1 loc("power.opt":9:3)
    %94 = memref.subview %93[0] [%91] [1] : !f32_r1 to !f32_r1 loc("power.opt":9:3)
    %95 = memref.alloc(%91) : memref<?xf32> loc("power.opt":5:1)
    scf.for %i_12 = %c0 to %91 step %c1 {
      %96 = memref.load %94[%i_12] : !f32_r1 loc("power.opt":5:1)
      memref.store %96, %95[%i_12] : memref<?xf32> loc("power.opt":5:1)
    } loc("power.opt":5:1)
    %97 = memref.load %status[] : memref<i32> loc("power.opt":5:1)
    %98 = memref.load %details[%c0] : memref<4xi64> loc("power.opt":5:1)
    %99 = memref.load %details[%c1] : memref<4xi64> loc("power.opt":5:1)
    %100 = memref.load %details[%c2] : memref<4xi64> loc("power.opt":5:1)
    %101 = memref.load %details[%c3] : memref<4xi64> loc("power.opt":5:1)
    memref.dealloc %13 : memref<?xf32> loc("power.opt":5:1)
    memref.dealloc %22#2 : memref<?xf32> loc("power.opt":5:1)
    return %22#1, %v, %90, %22#3, %95, %97, %98, %99, %100, %101 : f32, memref<?xf32>, i64, i1, memref<?xf32>, i32, i64, i64, i64, i64 loc("power.opt":5:1)
  } loc("power.opt":5:1)
}
