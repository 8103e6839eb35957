!f32_r1 = memref<?xf32, strided<[?], offset: ?>>
!f32_r2 = memref<?x?xf32, strided<[?, ?], offset: ?>>
module {
  func.func private @optc_progress_1(i64, i64, f64) -> i32
  func.func @optc_power_iteration(%A: !f32_r2, %tol: f32, %max_iter: i64, %report: i1) -> (f32, memref<?xf32>, i64, i1, memref<?xf32>, i32, i64, i64, i64, i64) attributes {llvm.emit_c_interface} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c0_i32 = arith.constant 0 : i32
    %true = arith.constant true
    %c1_i32 = arith.constant 1 : i32
    %c2_i32 = arith.constant 2 : i32
    %c64 = arith.constant 64 : index
    %c0_i64 = arith.constant 0 : i64
    %false = arith.constant false
    %cst_f32 = arith.constant 0.0 : f32
    %c1_i64 = arith.constant 1 : i64
    %c2 = arith.constant 2 : index
    %c3_i32 = arith.constant 3 : i32
    %c3 = arith.constant 3 : index
    %0 = memref.dim %A, %c0 : !f32_r2 loc("power.opt":5:1)
    %1 = memref.dim %A, %c1 : !f32_r2 loc("power.opt":5:1)
    %status = memref.alloca() : memref<i32> loc("power.opt":5:1)
    memref.store %c0_i32, %status[] : memref<i32> loc("power.opt":5:1)
    %details = memref.alloca() : memref<4xi64> loc("power.opt":5:1)
    %2 = arith.constant 1 : i64 loc("power.opt":6:23)
    %3 = arith.cmpi sge, %max_iter, %2 : i64 loc("power.opt":6:11)
    %4 = arith.xori %3, %true : i1 loc("power.opt":6:3)
    %5 = memref.load %status[] : memref<i32> loc("power.opt":6:3)
    %6 = arith.cmpi eq, %5, %c0_i32 : i32 loc("power.opt":6:3)
    %7 = arith.andi %4, %6 : i1 loc("power.opt":6:3)
    %8 = arith.select %7, %c1_i32, %5 : i32 loc("power.opt":6:3)
    memref.store %8, %status[] : memref<i32> loc("power.opt":6:3)
    %9 = arith.index_cast %0 : index to i64 loc("power.opt":7:18)
    %10 = arith.constant 1.0 : f32 loc("power.opt":7:13)
    %11 = arith.index_cast %9 : i64 to index loc("power.opt":7:13)
    %12 = arith.cmpi slt, %11, %c0 : index loc("power.opt":7:13)
    %13 = arith.maxsi %11, %c0 : index loc("power.opt":7:13)
    %14 = memref.load %status[] : memref<i32> loc("power.opt":7:13)
    %15 = arith.cmpi eq, %14, %c0_i32 : i32 loc("power.opt":7:13)
    %16 = arith.andi %12, %15 : i1 loc("power.opt":7:13)
    %17 = arith.select %16, %c2_i32, %14 : i32 loc("power.opt":7:13)
    memref.store %17, %status[] : memref<i32> loc("power.opt":7:13)
    %18 = memref.load %details[%c0] : memref<4xi64> loc("power.opt":7:13)
    %19 = arith.select %16, %9, %18 : i64 loc("power.opt":7:13)
    memref.store %19, %details[%c0] : memref<4xi64> loc("power.opt":7:13)
    %20 = memref.alloc(%13) : memref<?xf32> loc("power.opt":7:13)
    scf.for %i = %c0 to %13 step %c1 {
      memref.store %10, %20[%i] : memref<?xf32> loc("power.opt":7:13)
    } loc("power.opt":7:13)
    %21 = arith.sitofp %9 : i64 to f32 loc("power.opt":7:23)
    %22 = math.sqrt %21 : f32 loc("power.opt":7:23)
    %23 = arith.constant 0.0 : f32 loc("power.opt":8:22)
    %24 = arith.constant 0 : i64 loc("power.opt":10:12)
    %v = memref.alloc(%13) : memref<?xf32> loc("power.opt":7:13)
    scf.for %i_1 = %c0 to %13 step %c1 {
      %25 = memref.load %20[%i_1] : memref<?xf32> loc("power.opt":7:13)
      %26 = arith.divf %25, %22 : f32 loc("power.opt":7:13)
      memref.store %26, %v[%i_1] : memref<?xf32> loc("power.opt":7:13)
    } loc("power.opt":7:13)
    %trace = memref.alloc(%c64) : memref<?xf32> loc("power.opt":10:3)
    %27 = arith.subi %max_iter, %24 : i64 loc("power.opt":10:3)
    %28 = arith.maxsi %27, %c0_i64 : i64 loc("power.opt":10:3)
    %29:4 = scf.while (%30 = %24, %31 = %23, %32 = %trace, %33 = %false) : (i64, f32, memref<?xf32>, i1) -> (i64, f32, memref<?xf32>, i1) {
      %34 = arith.cmpi slt, %30, %max_iter : i64 loc("power.opt":10:3)
      %35 = arith.xori %33, %true : i1 loc("power.opt":10:3)
      %36 = arith.andi %34, %35 : i1 loc("power.opt":10:3)
      %37 = memref.load %status[] : memref<i32> loc("power.opt":10:3)
      %38 = arith.cmpi eq, %37, %c0_i32 : i32 loc("power.opt":10:3)
      %39 = arith.andi %36, %38 : i1 loc("power.opt":10:3)
      scf.condition(%39) %30, %31, %32, %33 : i64, f32, memref<?xf32>, i1 loc("power.opt":10:3)
    } do {
    ^bb0(%40: i64, %41: f32, %42: memref<?xf32>, %43: i1):
      %w = memref.alloc(%0) : memref<?xf32> loc("power.opt":11:9)
      scf.for %i_2 = %c0 to %0 step %c1 {
        %44 = scf.for %i_3 = %c0 to %1 step %c1 iter_args(%45 = %cst_f32) -> (f32) {
          %46 = memref.load %A[%i_2, %i_3] : !f32_r2 loc("power.opt":11:9)
          %47 = memref.load %v[%i_3] : memref<?xf32> loc("power.opt":11:9)
          %48 = arith.mulf %46, %47 : f32 loc("power.opt":11:9)
          %49 = arith.addf %45, %48 : f32 loc("power.opt":11:9)
          scf.yield %49 : f32 loc("power.opt":11:9)
        } loc("power.opt":11:9)
        memref.store %44, %w[%i_2] : memref<?xf32> loc("power.opt":11:9)
      } loc("power.opt":11:9)
      %50 = memref.alloc(%0) : memref<?xf32> loc("power.opt":12:14)
      scf.for %i_4 = %c0 to %0 step %c1 {
        %51 = memref.load %w[%i_4] : memref<?xf32> loc("power.opt":12:14)
        %52 = arith.mulf %51, %51 : f32 loc("power.opt":12:14)
        memref.store %52, %50[%i_4] : memref<?xf32> loc("power.opt":12:14)
      } loc("power.opt":12:14)
      %53 = scf.for %i_5 = %c0 to %0 step %c1 iter_args(%54 = %cst_f32) -> (f32) {
        %55 = memref.load %50[%i_5] : memref<?xf32> loc("power.opt":12:14)
        %56 = arith.addf %54, %55 : f32 loc("power.opt":12:14)
        scf.yield %56 : f32 loc("power.opt":12:14)
      } loc("power.opt":12:14)
      %57 = math.sqrt %53 : f32 loc("power.opt":12:14)
      %v_next = memref.alloc(%0) : memref<?xf32> loc("power.opt":12:10)
      scf.for %i_6 = %c0 to %0 step %c1 {
        %58 = memref.load %w[%i_6] : memref<?xf32> loc("power.opt":12:10)
        %59 = arith.divf %58, %57 : f32 loc("power.opt":12:10)
        memref.store %59, %v_next[%i_6] : memref<?xf32> loc("power.opt":12:10)
      } loc("power.opt":12:10)
      %60 = memref.alloc(%0) : memref<?xf32> loc("power.opt":13:27)
      scf.for %i_7 = %c0 to %0 step %c1 {
        %61 = scf.for %i_8 = %c0 to %1 step %c1 iter_args(%62 = %cst_f32) -> (f32) {
          %63 = memref.load %A[%i_7, %i_8] : !f32_r2 loc("power.opt":13:27)
          %64 = memref.load %v_next[%i_8] : memref<?xf32> loc("power.opt":13:27)
          %65 = arith.mulf %63, %64 : f32 loc("power.opt":13:27)
          %66 = arith.addf %62, %65 : f32 loc("power.opt":13:27)
          scf.yield %66 : f32 loc("power.opt":13:27)
        } loc("power.opt":13:27)
        memref.store %61, %60[%i_7] : memref<?xf32> loc("power.opt":13:27)
      } loc("power.opt":13:27)
      %67 = scf.for %i_9 = %c0 to %0 step %c1 iter_args(%68 = %cst_f32) -> (f32) {
        %69 = memref.load %v_next[%i_9] : memref<?xf32> loc("power.opt":13:19)
        %70 = memref.load %60[%i_9] : memref<?xf32> loc("power.opt":13:19)
        %71 = arith.mulf %69, %70 : f32 loc("power.opt":13:19)
        %72 = arith.addf %68, %71 : f32 loc("power.opt":13:19)
        scf.yield %72 : f32 loc("power.opt":13:19)
      } loc("power.opt":13:19)
      %73 = arith.subf %67, %41 : f32 loc("power.opt":10:34)
      %74 = math.absf %73 : f32 loc("power.opt":10:30)
      %75 = math.absf %67 : f32 loc("power.opt":10:69)
      %76 = arith.mulf %tol, %75 : f32 loc("power.opt":10:63)
      %77 = arith.cmpf ole, %74, %76 : f32 loc("power.opt":10:30)
      scf.for %i_10 = %c0 to %13 step %c1 {
        %78 = memref.load %v_next[%i_10] : memref<?xf32> loc("power.opt":10:3)
        memref.store %78, %v[%i_10] : memref<?xf32> loc("power.opt":10:3)
      } loc("power.opt":10:3)
      %79 = arith.subi %40, %24 : i64 loc("power.opt":10:3)
      %80 = arith.addi %79, %c1_i64 : i64 loc("power.opt":10:3)
      %81 = arith.index_cast %80 : i64 to index loc("power.opt":10:3)
      %82 = memref.dim %42, %c0 : memref<?xf32> loc("power.opt":10:3)
      %83 = arith.cmpi sgt, %81, %82 : index loc("power.opt":10:3)
      %84 = scf.if %83 -> (memref<?xf32>) {
        %85 = arith.muli %82, %c2 : index loc("power.opt":10:3)
        %86 = memref.alloc(%85) : memref<?xf32> loc("power.opt":10:3)
        scf.for %i_11 = %c0 to %82 step %c1 {
          %87 = memref.load %42[%i_11] : memref<?xf32> loc("power.opt":10:3)
          memref.store %87, %86[%i_11] : memref<?xf32> loc("power.opt":10:3)
        } loc("power.opt":10:3)
        memref.dealloc %42 : memref<?xf32> loc("power.opt":10:3)
        scf.yield %86 : memref<?xf32> loc("power.opt":10:3)
      } else {
        scf.yield %42 : memref<?xf32> loc("power.opt":10:3)
      } loc("power.opt":10:3)
      %88 = arith.subi %81, %c1 : index loc("power.opt":10:3)
      memref.store %67, %84[%88] : memref<?xf32> loc("power.opt":10:3)
      %89 = arith.extf %67 : f32 to f64 loc("power.opt":10:3)
      scf.if %report {
        %90 = func.call @optc_progress_1(%80, %28, %89) : (i64, i64, f64) -> i32 loc("power.opt":10:3)
        %91 = arith.cmpi ne, %90, %c0_i32 : i32 loc("power.opt":10:3)
        %92 = memref.load %status[] : memref<i32> loc("power.opt":10:3)
        %93 = arith.cmpi eq, %92, %c0_i32 : i32 loc("power.opt":10:3)
        %94 = arith.andi %91, %93 : i1 loc("power.opt":10:3)
        %95 = arith.select %94, %c3_i32, %92 : i32 loc("power.opt":10:3)
        memref.store %95, %status[] : memref<i32> loc("power.opt":10:3)
      } loc("power.opt":10:3)
      memref.dealloc %w : memref<?xf32> loc("power.opt":10:3)
      memref.dealloc %50 : memref<?xf32> loc("power.opt":10:3)
      memref.dealloc %v_next : memref<?xf32> loc("power.opt":10:3)
      memref.dealloc %60 : memref<?xf32> loc("power.opt":10:3)
      %96 = arith.addi %40, %c1_i64 : i64 loc("power.opt":10:3)
      scf.yield %96, %67, %84, %77 : i64, f32, memref<?xf32>, i1 loc("power.opt":10:3)
    } loc("power.opt":10:3)
    %97 = arith.subi %29#0, %24 : i64 loc("power.opt":10:3)
    %98 = arith.index_cast %97 : i64 to index loc("power.opt":10:3)
    %99 = memref.dim %29#2, %c0 : memref<?xf32> loc("power.opt":10:3)
    %100 = memref.cast %29#2 : memref<?xf32> to !f32_r1 loc("power.opt":10:3)
    %101 = memref.subview %100[0] [%98] [1] : !f32_r1 to !f32_r1 loc("power.opt":10:3)
    %102 = memref.alloc(%98) : memref<?xf32> loc("power.opt":5:1)
    scf.for %i_12 = %c0 to %98 step %c1 {
      %103 = memref.load %101[%i_12] : !f32_r1 loc("power.opt":5:1)
      memref.store %103, %102[%i_12] : memref<?xf32> loc("power.opt":5:1)
    } loc("power.opt":5:1)
    %104 = memref.load %status[] : memref<i32> loc("power.opt":5:1)
    %105 = memref.load %details[%c0] : memref<4xi64> loc("power.opt":5:1)
    %106 = memref.load %details[%c1] : memref<4xi64> loc("power.opt":5:1)
    %107 = memref.load %details[%c2] : memref<4xi64> loc("power.opt":5:1)
    %108 = memref.load %details[%c3] : memref<4xi64> loc("power.opt":5:1)
    memref.dealloc %20 : memref<?xf32> loc("power.opt":5:1)
    memref.dealloc %29#2 : memref<?xf32> loc("power.opt":5:1)
    return %29#1, %v, %97, %29#3, %102, %104, %105, %106, %107, %108 : f32, memref<?xf32>, i64, i1, memref<?xf32>, i32, i64, i64, i64, i64 loc("power.opt":5:1)
  } loc("power.opt":5:1)
}
